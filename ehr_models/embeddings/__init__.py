"""Embedding pretraining without Beam.

``corpus`` (notes -> sentences of normalized tokens, counts, the corpus manifest), ``training`` (gensim Word2Vec /
FastText from a corpus directory, vocabulary from its counts), ``vectors`` (the vectors directory: save, load, a
tagger's embedding matrix), ``intrinsic`` (nearest-neighbour checks), ``privacy`` (which words would be PHI) and
``release`` (the embeddings ehrbeam ships).
"""

from ehr_models.embeddings.vectors import embedding_matrix, load_vectors, save_vectors

__all__ = ["embedding_matrix", "load_vectors", "save_vectors"]
