"""The learned PHI recognizer: a BiLSTM-CRF of ``ehr_models.tagging`` read through token marginals.

A token is PHI when the tagger's probability that it is inside some PHI span (one minus the CRF marginal of
``O``, or the softmax's) reaches ``threshold``: lowering it trades precision for recall, which a de-identifier
wants (a miss is a leak). Consecutive PHI tokens of one label make a span. With ``gate`` "unknown" (default) the
tagger reads only sentences holding a word its vocabulary lacks: that vocabulary is ordinary de-identified
clinical text, so names are unknown words there, while sentences of plain vocabulary (most of a note) are left
to the rules; "all" reads every sentence. The default model is the packaged one
(``ehr_models/resources/deid/phi-tagger``, trained by ``ehr_models.deid.tagger_training``).

    {"type": "tagger"}                                   # packaged model, default threshold
    {"type": "tagger", "model": DIR, "threshold": 0.2, "gate": "all"}
"""

from __future__ import annotations

import logging
from pathlib import Path

from ehr_models.deid.recognizers import TaggerRecognizer
from ehr_models.formats.examples import sentences
from ehr_models.text import Token, normalize_token

logger = logging.getLogger(__name__)

PACKAGED = Path(__file__).resolve().parents[1] / "resources" / "deid" / "phi-tagger"
DEFAULT_THRESHOLD = 0.5
LABELS = ("NAME", "LOCATION", "DATE", "PHONE", "AGE", "OTHER", "ID")


class PhiTagger:
    """``predict_spans(text, tokens)`` for ``TaggerRecognizer``: character spans whose tokens pass ``threshold``.

    The model loads on first use (constructors do no work); ``threads`` is applied to torch before each call.
    """

    def __init__(self, model: str | None = None, threshold: float = DEFAULT_THRESHOLD, threads: int | None = 1,
                 max_tokens: int = 150, gate: str = "unknown") -> None:
        self.model = model
        self.threshold = threshold
        self.threads = threads
        self.max_tokens = max_tokens
        self.gate = gate
        self._tagger = None
        self._columns: list[tuple[str, list[int]]] = []

    @property
    def path(self) -> Path:
        return Path(self.model) if self.model else PACKAGED

    def to_dict(self) -> dict:
        return {"model": self.model, "threshold": self.threshold, "threads": self.threads,
                "max_tokens": self.max_tokens, "gate": self.gate}

    def _load(self):
        if self._tagger is None:
            from ehr_models.tagging.predictor import Tagger  # torch only when a tagger is configured

            self._tagger = Tagger.load(self.path, threads=self.threads)
            tags = self._tagger.tags
            self._columns = [(label, [i for i, t in enumerate(tags) if t.split("-", 1)[-1] == label and t != "O"])
                             for label in sorted({t.split("-", 1)[1] for t in tags if "-" in t})]
        return self._tagger

    def token_scores(self, words: list[list[str]]) -> list[list[tuple[float, str]]]:
        """For each token of each sentence: (probability it is PHI, most likely PHI label)."""
        import torch

        tagger = self._load()
        results: list[list[tuple[float, str]]] = [[] for _ in words]
        for index, batch in tagger.encoded_batches(words):
            probabilities = tagger.model.tag_probabilities(batch)
            by_label = torch.stack([probabilities[:, :, cols].sum(2) for _, cols in self._columns], 2)
            best = by_label.argmax(2).tolist()
            phi = (1.0 - probabilities[:, :, 0]).tolist()  # tag 0 is "O" (``scheme.tag_set``)
            for row, sentence in enumerate(index):
                n = len(words[sentence])
                results[sentence] = [(phi[row][t], self._columns[best[row][t]][0]) for t in range(n)]
        return results

    def predict_spans(self, text: str, tokens: list[Token]) -> list[tuple[int, int, str]]:
        return self.predict_spans_batch([text], [tokens])[0]

    def predict_spans_batch(self, texts: list[str], tokens: list[list[Token]]) -> list[list[tuple[int, int, str]]]:
        """``predict_spans`` for many notes in one pass of the network (fuller batches, one CRF loop per batch)."""
        ranges = [self._ranges(text, note_tokens) for text, note_tokens in zip(texts, tokens)]
        flat = [[t.text for t in note_tokens[b:e]] for note_tokens, note in zip(tokens, ranges) for b, e in note]
        scores = iter(self.token_scores(flat) if flat else [])
        return [self._spans(text, note_tokens, note, [next(scores) for _ in note])
                for text, note_tokens, note in zip(texts, tokens, ranges)]

    def _ranges(self, text: str, tokens: list[Token]) -> list[tuple[int, int]]:
        """Sentences the tagger reads (all, or those holding a word its vocabulary lacks)."""
        if not tokens:
            return []
        ranges = sentences(text, tokens, self.max_tokens)
        if self.gate != "unknown":
            return ranges
        known = self._load().words
        return [(b, e) for b, e in ranges if any(
            len(t.text) > 1 and t.text.isalpha() and normalize_token(t.text) not in known for t in tokens[b:e])]

    def _spans(self, text: str, tokens: list[Token], ranges: list[tuple[int, int]],
               scores: list[list[tuple[float, str]]]) -> list[tuple[int, int, str]]:
        spans: list[tuple[int, int, str]] = []
        for (begin, _), sentence in zip(ranges, scores):
            previous = -2
            for offset, (probability, label) in enumerate(sentence):
                if probability < self.threshold:
                    continue
                token = tokens[begin + offset]
                if previous == begin + offset - 1 and spans[-1][2] == label:
                    spans[-1] = (spans[-1][0], token.end, label)
                else:
                    spans.append((token.start, token.end, label))
                previous = begin + offset
        # A lone letter or digit ("C.O.", "QUARTERMAIN 2") is rarely PHI on its own and often a tagger's slip.
        return [span for span in spans if sum(c.isalnum() for c in text[span[0] : span[1]]) >= 2]


def tagger_recognizer(config: dict, **shared: object) -> TaggerRecognizer:
    """``{"type": "tagger", "model": DIR or None, "threshold": T, "threads": N}`` -> a ``TaggerRecognizer``."""
    predictor = PhiTagger(config.get("model"), config.get("threshold", DEFAULT_THRESHOLD), config.get("threads", 1),
                          config.get("max_tokens", 150), config.get("gate", "unknown"))
    label_map = config.get("label_map") or {label: label for label in LABELS}
    return TaggerRecognizer(predictor, label_map, name=config.get("name", "tagger"))


def packaged_available() -> bool:
    return (PACKAGED / "weights.safetensors").exists()
