"""Embedding pretraining without Beam: the corpus format, gensim training, and the vectors directory."""

from ehr_models.embeddings.vectors import embedding_matrix, load_vectors, save_vectors

__all__ = ["embedding_matrix", "load_vectors", "save_vectors"]
