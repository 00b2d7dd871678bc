"""Start a tagger from one trained on another corpus (the paper's bootstrapping): copy what carries over.

Rows are copied by what they mean, not by position: word and character embeddings by item, the output layer and
the CRF's transitions by tag name, after renaming the source's labels through ``label_map`` (``{"Chemical":
"medication"}`` lets BC5CDR's chemical tags seed the medication tags). Tags with no source counterpart keep their
fresh initialisation; every other parameter of equal shape is copied whole.
"""

from __future__ import annotations

import logging
from typing import Mapping

import torch

from ehr_models.tagging.predictor import Tagger
from ehr_models.tagging.vocab import Vocabulary

logger = logging.getLogger(__name__)


def _rename(tag: str, label_map: Mapping[str, str]) -> str:
    prefix, _, label = tag.partition("-")
    return f"{prefix}-{label_map.get(label, label)}" if label else tag


def _rows(target: list[str], source: list[str]) -> tuple[list[int], list[int]]:
    """Index pairs (target row, source row) for the items both lists hold."""
    where = {item: i for i, item in enumerate(source)}
    pairs = [(i, where[item]) for i, item in enumerate(target) if item in where]
    return [t for t, _ in pairs], [s for _, s in pairs]


def extend_vocabularies(source: Tagger, words: Vocabulary, chars: Vocabulary) -> tuple[Vocabulary, Vocabulary]:
    """The source's vocabularies followed by the new items of ``words`` and ``chars``."""
    return source.words.extended(words.items), source.chars.extended(chars.items)


def init_from(target: Tagger, source: Tagger, label_map: Mapping[str, str] | None = None) -> dict[str, int]:
    """Copy ``source``'s weights into ``target`` (same architecture); returns counts of what was copied."""
    label_map = label_map or {}
    source_state, target_state = source.model.state_dict(), target.model.state_dict()
    word_t, word_s = _rows(target.words.items, source.words.items)
    char_t, char_s = _rows(target.chars.items, source.chars.items)
    tag_t, tag_s = _rows(target.tags, [_rename(tag, label_map) for tag in source.tags])
    by_rows = {"words.weight": (word_t, word_s), "chars.embedding.weight": (char_t, char_s),
               "output.weight": (tag_t, tag_s), "output.bias": (tag_t, tag_s), "crf.start": (tag_t, tag_s),
               "crf.end": (tag_t, tag_s)}
    copied = {"words": len(word_t), "chars": len(char_t), "tags": len(tag_t), "tensors": 0}
    with torch.no_grad():
        for name, tensor in target_state.items():
            if name not in source_state:
                continue
            if name in by_rows:
                rows_t, rows_s = by_rows[name]
                tensor[rows_t] = source_state[name][rows_s]
            elif name == "crf.transitions":
                tensor[torch.tensor(tag_t).unsqueeze(1), torch.tensor(tag_t)] = \
                    source_state[name][torch.tensor(tag_s).unsqueeze(1), torch.tensor(tag_s)]
            elif tensor.shape == source_state[name].shape:
                tensor.copy_(source_state[name])
            else:
                logger.warning("not transferred (shape differs): %s", name)
                continue
            copied["tensors"] += 1
    target.model.load_state_dict(target_state)
    logger.info("initialised from %s: %s", source.name, copied)
    return copied
