"""De-identification scores: span- and token-level, category-blind (was it removed?) and typed (as what?).

* Span recall: a gold span counts as found only when every letter and digit of it is inside predicted spans
  (a partial removal leaks the rest; gold spans sometimes include a trailing comma or parenthesis).
  Span precision: a predicted span is right when it overlaps a gold span.
* Token level: project tokens; a token is PHI when any of its characters is.
* Typed variants require the predicted label to be the gold type's label (``GOLD_LABELS``).
* ``medication_words``: drug-lexicon matches in the note that a predicted span touches (over-redaction).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ehr_models.evaluation.spans import Counts
from ehr_models.text import Token

# PhysioNet deid gold types -> engine labels (for the typed scores).
GOLD_LABELS = {"HCPName": "NAME", "PTName": "NAME", "RelativeProxyName": "NAME", "PTNameInitial": "NAME",
               "Location": "LOCATION", "Date": "DATE", "DateYear": "DATE", "Phone": "PHONE", "Age": "AGE",
               "Other": "OTHER"}
# Labels a structured "Other" identifier may legitimately get.
_OTHER_OK = frozenset({"OTHER", "ID", "SSN", "PHONE", "EMAIL", "URL", "IP"})

Gold = tuple[int, int, str]  # start, end, gold type
Predicted = tuple[int, int, str]  # start, end, engine label


def _label_ok(gold_type: str, label: str) -> bool:
    expected = GOLD_LABELS.get(gold_type, gold_type)
    return label == expected or (expected == "OTHER" and label in _OTHER_OK)


@dataclass
class DeidScores:
    span: Counts = field(default_factory=Counts)
    span_typed: Counts = field(default_factory=Counts)
    token: Counts = field(default_factory=Counts)
    token_typed: Counts = field(default_factory=Counts)
    by_type: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))  # blind recall per gold type
    by_type_typed: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    medication_words: int = 0
    medication_words_in_gold: int = 0
    notes: int = 0

    def add(self, text: str, tokens: list[Token], predicted: list[Predicted], gold: list[Gold],
            drug_spans: list[tuple[int, int]]) -> None:
        """Score one note."""
        self.notes += 1
        covered: dict[int, str] = {}
        for start, end, label in predicted:
            for i in range(start, end):
                covered[i] = label
        for start, end, kind in gold:
            chars = [i for i in range(start, end) if text[i].isalnum()]
            blind = all(i in covered for i in chars)
            typed = blind and all(_label_ok(kind, covered[i]) for i in chars)
            for counts, hit in ((self.span, blind), (self.by_type[kind], blind), (self.span_typed, typed),
                                (self.by_type_typed[kind], typed)):
                counts.tp += hit
                counts.fn += not hit
        for start, end, label in predicted:
            hits = [kind for g_start, g_end, kind in gold if start < g_end and g_start < end]
            self.span.fp += not hits
            self.span_typed.fp += not any(_label_ok(kind, label) for kind in hits)
        gold_at: dict[int, str] = {i: kind for start, end, kind in gold for i in range(start, end)}
        for token in tokens:
            kinds = {gold_at[i] for i in range(token.start, token.end) if i in gold_at}
            labels = {covered[i] for i in range(token.start, token.end) if i in covered}
            self._token(self.token, bool(kinds), bool(labels))
            typed_hit = any(_label_ok(k, l) for k in kinds for l in labels)
            self._token(self.token_typed, bool(kinds), bool(labels), typed_hit)
        for start, end in drug_spans:
            if any(i in covered for i in range(start, end)):
                self.medication_words += 1
            if any(i in gold_at for i in range(start, end)):
                self.medication_words_in_gold += 1

    @staticmethod
    def _token(counts: Counts, gold: bool, predicted: bool, typed_hit: bool | None = None) -> None:
        hit = gold and predicted and (typed_hit is None or typed_hit)
        counts.tp += hit
        counts.fn += gold and not hit
        counts.fp += predicted and not hit

    def to_dict(self) -> dict:
        return {"notes": self.notes, "span": self.span.to_dict(), "span_typed": self.span_typed.to_dict(),
                "token": self.token.to_dict(), "token_typed": self.token_typed.to_dict(),
                "recall_by_type": {k: {"gold": c.tp + c.fn, "recall": round(c.recall, 4),
                                       "typed_recall": round(self.by_type_typed[k].recall, 4)}
                                   for k, c in sorted(self.by_type.items())},
                "medication_words_redacted": self.medication_words,
                "medication_words_in_gold_phi": self.medication_words_in_gold}
