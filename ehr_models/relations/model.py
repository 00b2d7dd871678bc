"""The pairwise relation classifier: a BiLSTM over the pair's window, attention pooling, a sigmoid score.

Each token is its (frozen, pretrained) word vector plus embeddings of its entity tag, its role in the pair (head,
tail or neither), its positions relative to head and to tail, and the break before it (line, segment). The
BiLSTM states are pooled three ways: mean over the head tokens, mean over the tail tokens, and attention whose
query is the head and tail pair; with a projection of the structural features they feed a two-layer scorer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from ehr_models.relations.candidates import BREAKS, N_STRUCTURAL, ROLES, TAGS


@dataclass
class RelationConfig:
    vocab_size: int
    word_dim: int = 100
    tag_dim: int = 16
    role_dim: int = 8
    position_dim: int = 12
    positions: int = 61  # 2 * max_position + 1
    break_dim: int = 8
    hidden: int = 64  # per direction
    structural_dim: int = 32
    dropout: float = 0.3
    use_text: bool = True  # False: structural features only (an ablation)

    def to_dict(self) -> dict:
        return asdict(self)


class RelationNet(nn.Module):
    def __init__(self, config: RelationConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        self.words = nn.Embedding(c.vocab_size, c.word_dim, padding_idx=0)
        self.words.weight.requires_grad = False  # pretrained and frozen: unseen test words keep their meaning
        self.tags = nn.Embedding(len(TAGS), c.tag_dim)
        self.roles = nn.Embedding(len(ROLES), c.role_dim)
        self.head_positions = nn.Embedding(c.positions, c.position_dim)
        self.tail_positions = nn.Embedding(c.positions, c.position_dim)
        self.breaks = nn.Embedding(len(BREAKS), c.break_dim)
        width = c.word_dim + c.tag_dim + c.role_dim + 2 * c.position_dim + c.break_dim
        self.lstm = nn.LSTM(width, c.hidden, batch_first=True, bidirectional=True)
        states = 2 * c.hidden
        self.attention_keys = nn.Linear(states, states)
        self.attention_query = nn.Linear(2 * states, states)
        self.attention_score = nn.Linear(states, 1, bias=False)
        self.structural = nn.Linear(N_STRUCTURAL, c.structural_dim)
        self.dropout = nn.Dropout(c.dropout)
        features = (3 * states if c.use_text else 0) + c.structural_dim
        self.scorer = nn.Sequential(nn.Linear(features, 2 * c.hidden), nn.ReLU(), nn.Dropout(c.dropout),
                                    nn.Linear(2 * c.hidden, 1))

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Logits, one per pair, from a padded batch (``ehr_models.relations.batches.collate``)."""
        structural = torch.relu(self.structural(batch["structural"]))
        if not self.config.use_text:
            return self.scorer(structural).squeeze(-1)
        mask = batch["words"] != 0
        inputs = torch.cat([self.words(batch["words"]), self.tags(batch["tags"]), self.roles(batch["roles"]),
                            self.head_positions(batch["head_positions"]),
                            self.tail_positions(batch["tail_positions"]), self.breaks(batch["breaks"])], dim=-1)
        lengths = mask.sum(1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(self.dropout(inputs), lengths, batch_first=True,
                                                   enforce_sorted=False)
        states, _ = self.lstm(packed)
        states, _ = nn.utils.rnn.pad_packed_sequence(states, batch_first=True, total_length=mask.shape[1])
        head = _masked_mean(states, batch["roles"] == 1)
        tail = _masked_mean(states, batch["roles"] == 2)
        query = self.attention_query(torch.cat([head, tail], dim=-1)).unsqueeze(1)
        scores = self.attention_score(torch.tanh(self.attention_keys(states) + query)).squeeze(-1)
        weights = torch.softmax(scores.masked_fill(~mask, -1e9), dim=-1)
        pooled = torch.bmm(weights.unsqueeze(1), states).squeeze(1)
        features = torch.cat([head, tail, pooled, structural], dim=-1)
        return self.scorer(self.dropout(features)).squeeze(-1)


def _masked_mean(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = mask.float().unsqueeze(-1)
    return (states * weights).sum(1) / weights.sum(1).clamp(min=1.0)
