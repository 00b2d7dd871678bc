"""Clinical tokenization with character offsets."""

from ehr_models.text.tokenizer import Token, segments, tokenize

__all__ = ["Token", "segments", "tokenize"]
