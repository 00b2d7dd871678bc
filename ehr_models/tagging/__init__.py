"""Sequence taggers: BiLSTM-CRF (and a softmax head) over words and characters, trained and run on token lists.

Importing this package is cheap (no torch); the modules that need torch import it themselves:
``scheme`` (BIO/BIOES tags), ``vocab``, ``crf``, ``model``, ``batching``, ``predictor``, ``annotator``,
``training``, ``pretrained``, ``datasets``.
"""
