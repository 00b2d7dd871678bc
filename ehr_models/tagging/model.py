"""The network: word embeddings (+ character CNN) -> BiLSTM -> CRF or softmax over tags.

``hidden`` is the BiLSTM's output size, both directions together (each direction has ``hidden // 2`` units), the
NCRF++ convention. The configuration is plain data (``to_dict``/``from_dict``), so a model directory rebuilds the
network without the code that trained it.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, fields

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ehr_models.tagging.batching import Batch
from ehr_models.tagging.crf import CRF
from ehr_models.tagging.features import feature_sizes
from ehr_models.tagging.scheme import allowed_transitions

logger = logging.getLogger(__name__)
HEADS = ("crf", "softmax")


@dataclass
class TaggerConfig:
    word_dim: int = 100
    use_chars: bool = True
    char_dim: int = 30
    char_filters: int = 100
    char_kernel: int = 3
    max_word_chars: int = 20  # longer words keep their first and last 10 characters (prefix and suffix)
    hidden: int = 256
    layers: int = 1
    dropout: float = 0.5
    head: str = "crf"
    scheme: str = "BIOES"
    freeze_embeddings: bool = False
    features: list[str] = field(default_factory=list)  # names in ehr_models.tagging.features
    feature_dim: int = 10

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TaggerConfig":
        """Build from a dict; unknown keys are ignored so newer packages still load their known settings."""
        known = {f.name for f in fields(cls)}
        config = cls(**{key: value for key, value in data.items() if key in known})
        if config.head not in HEADS:
            raise ValueError(f"unknown head {config.head!r}; use one of {HEADS}")
        return config


class CharCNN(nn.Module):
    """Character embeddings -> one convolution -> max over the word's characters (padding excluded)."""

    def __init__(self, num_chars: int, dim: int, filters: int, kernel: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(num_chars, dim, padding_idx=0)
        self.conv = nn.Conv1d(dim, filters, kernel, padding=kernel // 2)

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        """(words, width) character ids -> (words, filters). A row without characters (the padding token) gets a
        large negative value; the BiLSTM never reads padding positions, so no step is spent zeroing it."""
        hidden = self.conv(self.embedding(chars).transpose(1, 2))  # (words, filters, width)
        return hidden.masked_fill((chars == 0).unsqueeze(1), -1e4).amax(dim=2)


class BiLSTMTagger(nn.Module):
    def __init__(self, config: TaggerConfig, num_words: int, num_chars: int, tags: list[str]) -> None:
        super().__init__()
        self.config = config
        self.tags = list(tags)
        self.words = nn.Embedding(num_words, config.word_dim, padding_idx=0)
        self.words.weight.requires_grad = not config.freeze_embeddings
        self.chars = (CharCNN(num_chars, config.char_dim, config.char_filters, config.char_kernel)
                      if config.use_chars else None)
        self.features = nn.ModuleList(nn.Embedding(size, config.feature_dim, padding_idx=0)
                                      for size in feature_sizes(config.features))
        features = (config.word_dim + (config.char_filters if config.use_chars else 0)
                    + config.feature_dim * len(config.features))
        self.dropout = nn.Dropout(config.dropout)
        self.lstm = nn.LSTM(features, config.hidden // 2, num_layers=config.layers, bidirectional=True,
                            batch_first=True, dropout=config.dropout if config.layers > 1 else 0.0)
        self.output = nn.Linear(config.hidden // 2 * 2, len(tags))
        self.crf = CRF(len(tags), *allowed_transitions(tags)) if config.head == "crf" else None

    def emissions(self, batch: Batch) -> torch.Tensor:
        """Per-token tag scores, (batch, length, tags)."""
        parts = [self.words(batch.words)]
        if self.chars is not None:
            # The CNN runs once per distinct token of the batch; ``char_index`` spreads the rows back out.
            parts.append(self.chars(batch.chars)[batch.char_index])
        parts.extend(table(batch.features[:, :, i]) for i, table in enumerate(self.features))
        features = self.dropout(torch.cat(parts, dim=2) if len(parts) > 1 else parts[0])
        packed = pack_padded_sequence(features, batch.lengths, batch_first=True, enforce_sorted=False)
        hidden, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True, total_length=batch.words.size(1))
        return self.output(self.dropout(hidden))

    def loss(self, batch: Batch) -> torch.Tensor:
        """Mean negative log-likelihood per sentence (CRF) or summed token cross-entropy per sentence (softmax)."""
        emissions = self.emissions(batch)
        if self.crf is not None:
            return self.crf.nll(emissions, batch.tags, batch.mask).mean()
        log_probs = torch.log_softmax(emissions, dim=2).gather(2, batch.tags.unsqueeze(2)).squeeze(2)
        return -(log_probs * batch.mask.float()).sum() / batch.words.size(0)

    def tag_probabilities(self, batch: Batch) -> torch.Tensor:
        """(sentences, tokens, tags) probability of each tag at each token: CRF marginals, or softmax without CRF."""
        return self._probabilities(self.emissions(batch), batch.mask)

    def _probabilities(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.crf is not None:
            return self.crf.marginals(emissions, mask)
        return torch.softmax(emissions, dim=2)

    def decode(self, batch: Batch, scores: bool = False) -> tuple[list[list[int]], list[list[float]] | None]:
        """Best tag ids per sentence, and (with ``scores``) each chosen tag's marginal probability."""
        emissions = self.emissions(batch)
        if self.crf is not None:
            paths = self.crf.viterbi(emissions, batch.mask)
            probabilities = self._probabilities(emissions, batch.mask) if scores else None
        else:
            probabilities = self._probabilities(emissions, batch.mask)
            best = probabilities.argmax(dim=2).tolist()
            paths = [row[:n] for row, n in zip(best, batch.lengths.tolist())]
        if not scores:
            return paths, None
        chosen = [probabilities[i, torch.arange(len(path)), torch.tensor(path, dtype=torch.long)].tolist()
                  for i, path in enumerate(paths)]
        return paths, chosen
