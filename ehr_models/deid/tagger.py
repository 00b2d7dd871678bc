"""The learned PHI recognizer: a BiLSTM-CRF of ``ehr_models.tagging`` read through token marginals.

A token is PHI when the tagger's probability that it is inside some PHI span (one minus the CRF marginal of
``O``, or the softmax's) reaches ``threshold`` (``thresholds`` per label: dates need 0.9 by default, the rules
find them well and the tagger over-fires on ratios): lowering it trades precision for recall, which a
de-identifier wants (a miss is a leak). Consecutive PHI tokens of one label make a span. What the tagger reads
(``gate``): "window" (default) reads ``window`` tokens either side of each word its vocabulary lacks, within its
sentence; "unknown" reads whole sentences holding such a word; "all" reads everything. That vocabulary is
ordinary de-identified clinical text, so names are unknown words there, while stretches of plain vocabulary
(most of a note) are left to the rules. A one-word name or place that is plain vocabulary is left to the rules
too ("frank blood"). The default model is the packaged one (``ehr_models/resources/deid/phi-tagger``,
trained by ``ehr_models.deid.tagger_training``).

    {"type": "tagger"}                                   # packaged model, default settings
    {"type": "tagger", "model": DIR, "threshold": 0.2, "thresholds": {"DATE": 0.5}, "gate": "all"}
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Sequence

from ehr_models.deid.recognizers import TaggerRecognizer
from ehr_models.formats.examples import sentences
from ehr_models.text import Token, normalize_token

logger = logging.getLogger(__name__)

PACKAGED = Path(__file__).resolve().parents[1] / "resources" / "deid" / "phi-tagger"
DEFAULT_THRESHOLD = 0.5
DEFAULT_THRESHOLDS = {"DATE": 0.9}
DEFAULT_GATE = "window"
DEFAULT_WINDOW = 6
LABELS = ("NAME", "LOCATION", "DATE", "PHONE", "AGE", "OTHER", "ID")
_WORDS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_RANGE = re.compile(r"\d{1,3}\s*-\s*\d{1,3}")


class PhiTagger:
    """``predict_spans(text, tokens)`` for ``TaggerRecognizer``: character spans whose tokens pass ``threshold``.

    The model loads on first use (constructors do no work); ``threads`` is applied to torch before each call.
    """

    def __init__(self, model: str | None = None, threshold: float = DEFAULT_THRESHOLD, threads: int | None = 1,
                 max_tokens: int = 150, gate: str = DEFAULT_GATE, thresholds: dict[str, float] | None = None,
                 vocabulary=None, window: int = DEFAULT_WINDOW) -> None:
        self.model = model
        self.threshold = threshold
        # per label, overriding ``threshold``
        self.thresholds = dict(DEFAULT_THRESHOLDS if thresholds is None else thresholds)
        self.vocabulary = vocabulary  # ClinicalVocabulary: a one-word name or place that is plain vocabulary is
        # left to the rules ("frank blood", "urine turned amber")
        self.threads = threads
        self.max_tokens = max_tokens
        self.gate = gate
        self.window = window
        self._tagger = None
        self._unknown_cache: dict[str, bool] = {}
        self._columns: list[tuple[str, list[int]]] = []

    @property
    def path(self) -> Path:
        return Path(self.model) if self.model else PACKAGED

    def to_dict(self) -> dict:
        return {"model": self.model, "threshold": self.threshold, "thresholds": dict(self.thresholds),
                "threads": self.threads, "max_tokens": self.max_tokens, "gate": self.gate,
                "window": self.window}

    def _load(self):
        if self._tagger is None:
            import ehr_models.deid.features  # noqa: F401  (registers the PHI tagger's token features)
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
        """Token ranges the tagger reads: all sentences, those holding a word its vocabulary lacks ("unknown"), or
        windows of ``window`` tokens either side of each such word, within its sentence ("window")."""
        if not tokens:
            return []
        ranges = sentences(text, tokens, self.max_tokens)
        if self.gate == "all":
            return ranges
        flags = [self._unknown(t.text) for t in tokens]
        if self.gate == "window":
            return [w for b, e in ranges for w in windows(flags, b, e, None, self.window)]
        return [(b, e) for b, e in ranges if any(flags[b:e])]

    def _unknown(self, word: str) -> bool:
        """``unknown(word)`` for this tagger's vocabulary, remembered per token string."""
        found = self._unknown_cache.get(word)
        if found is None:
            found = unknown(word, self._load().words)
            if len(self._unknown_cache) < 200_000:
                self._unknown_cache[word] = found
        return found

    def _spans(self, text: str, tokens: list[Token], ranges: list[tuple[int, int]],
               scores: list[list[tuple[float, str]]]) -> list[tuple[int, int, str]]:
        spans: list[tuple[int, int, str]] = []
        for (begin, _), sentence in zip(ranges, scores):
            previous = -2
            for offset, (probability, label) in enumerate(sentence):
                if probability < self.thresholds.get(label, self.threshold):
                    continue
                token = tokens[begin + offset]
                if previous == begin + offset - 1 and spans[-1][2] == label:
                    spans[-1] = (spans[-1][0], token.end, label)
                else:
                    spans.append((token.start, token.end, label))
                previous = begin + offset
        # A lone letter or digit ("C.O.", "QUARTERMAIN 2") is rarely PHI on its own and often a tagger's slip.
        # "RR 12-20", "HR 80-90": a range of two numbers is no date the rules would write without a year either.
        return [span for span in spans if sum(c.isalnum() for c in text[span[0] : span[1]]) >= 2
                and not self._plain_word(text[span[0] : span[1]], span[2])
                and not (span[2] == "DATE" and _RANGE.fullmatch(text[span[0] : span[1]]))]

    def _plain_word(self, phrase: str, label: str) -> bool:
        """One word of plain vocabulary taken as a name or place: the rules decide those, with their cues."""
        if self.vocabulary is None or label not in ("NAME", "LOCATION"):
            return False
        words = _WORDS.findall(phrase)
        return len(words) == 1 and _bare(words[0]) in self.vocabulary


def unknown(word: str, known) -> bool:
    """A word of two letters or more that the vocabulary ``known`` (normalized words) lacks: what the tagger reads."""
    return len(word) > 1 and word.isalpha() and normalize_token(word) not in known


def windows(words: Sequence, begin: int, end: int, known, width: int) -> list[tuple[int, int]]:
    """Ranges of ``width`` tokens either side of each unknown word of ``words[begin:end]``, clipped to it; ranges
    that overlap or nearly touch are one. With ``known`` None, ``words`` are already flags (True: unknown)."""
    found: list[tuple[int, int]] = []
    for i in range(begin, end):
        if (words[i] if known is None else unknown(words[i], known)):
            b, e = max(begin, i - width), min(end, i + width + 1)
            if found and b <= found[-1][1] + 2:
                found[-1] = (found[-1][0], e)
            else:
                found.append((b, e))
    return found


def _bare(word: str) -> str:
    """The word without a possessive ("MAE'S" -> "MAE")."""
    return word[:-2] if word.lower().endswith(("'s", "’s")) else word


def tagger_recognizer(config: dict, **shared: object) -> TaggerRecognizer:
    """``{"type": "tagger", "model": DIR or None, "threshold": T, "thresholds": {LABEL: T}, "threads": N}`` -> a
    ``TaggerRecognizer`` (the engine's shared ``vocabulary`` filters one-word names that are plain words)."""
    predictor = PhiTagger(config.get("model"), config.get("threshold", DEFAULT_THRESHOLD), config.get("threads", 1),
                          config.get("max_tokens", 150), config.get("gate", DEFAULT_GATE), config.get("thresholds"),
                          shared.get("vocabulary"), config.get("window", DEFAULT_WINDOW))
    label_map = config.get("label_map") or {label: label for label in LABELS}
    return TaggerRecognizer(predictor, label_map, name=config.get("name", "tagger"))


def packaged_available() -> bool:
    return (PACKAGED / "weights.safetensors").exists()
