"""Clinical tokenization with character offsets."""

from ehr_models.text.normalize import NORMALIZATION_VERSION, normalize_token
from ehr_models.text.tokenizer import Token, segments, tokenize

__all__ = ["NORMALIZATION_VERSION", "Token", "normalize_token", "segments", "tokenize"]
