"""Sequence taggers: BiLSTM-CRF (and a softmax head) over words, characters and optional token features.

Importing this package is cheap (no torch); the modules that need torch import it themselves: ``scheme`` (BIO and
BIOES tags), ``vocab``, ``features``, ``batching``, ``crf``, ``model``, ``predictor`` (``Tagger``: tokens -> spans),
``annotator`` (``TaggerAnnotator``: text -> ``Annotation``), ``pretrained`` (word vectors), ``training``,
``transfer`` (``--init-from``), ``progress``, ``datasets`` (every corpus format -> examples).
"""
