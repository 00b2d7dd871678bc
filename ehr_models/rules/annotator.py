"""The rules baseline: drug lexicon + attribute patterns + nearest-medication attachment.

It follows ``shared/annotation/medication-guidelines.md``: medications outside allergy lists and lab contexts,
attributes only when a medication in the same segment can own them, shared attributes for coordinated drugs
("tylenol and motrin prn" gives "prn" to both). It stays as a baseline and a source of silver labels. The
attachment itself is ``ehr_models.rules.linking.attach``, shared with the ``"nearest"`` relation linker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ehr_models import __version__
from ehr_models.annotation import Annotation, Entity, Relation
from ehr_models.rules import patterns
from ehr_models.rules.lexicon import GROUP_PHRASE, NAME_MODIFIER, DrugLexicon, FuzzyDrugNames, LexiconMatch
from ehr_models.rules.linking import attach, segment_locator
from ehr_models.text import segments, tokenize

# Scores are fixed per evidence source: the rules do not calibrate. They order evidence for a consumer that
# mixes annotators (a supplement abbreviation is less certain than a full dictionary name).
SCORES = {"dictionary": 0.9, "supplement": 0.8, "fuzzy": 0.6, "dosage": 0.85, "route": 0.8, "frequency": 0.85,
          "duration": 0.75, "reason": 0.5}
# Earlier wins when candidates of two attribute types overlap ("x 7 days" is a duration, not "x" + frequency).
ATTRIBUTE_PRIORITY = ("duration", "dosage", "frequency", "route")
ATTRIBUTE_PATTERNS = {"duration": patterns.DURATION, "dosage": patterns.DOSAGE, "frequency": patterns.FREQUENCY,
                      "route": patterns.ROUTE}

_LAB_LIKE = frozenset("potassium magnesium mag calcium phos phosphate glucose iron albumin bicarb bicarbonate sodium b12 folate".split())
# A drug name followed by these is a lab test, a condition or a test's name, not therapy ("dig level", "iron
# deficiency", "dobutamine stress echo").
_LAB_AFTER = re.compile(r"\s*(?:levels?|troughs?|peaks?|concentrations?|deficien\w*|studies|saturation|binding|"
                        r"overload|stores|antibod\w*|antigens?|stress\s+(?:test|echo|ekg|study)\w*)\b", re.I)
_VALUE_AFTER = re.compile(r"\s*(?:of|was|is|:|=|-)?\s*\d+(?:\.\d+)?(?!\s*(?:mg|meq|g|gm|grams?|mmol|units?|ml|cc)\b)",
                          re.I)
_CONDITION_BEFORE = re.compile(r"(?:serum|low|high|elevated|decreased|normal|abnormal)\s*$", re.I)
# "Allergies:", "allergic to", "NKDA": what follows is not therapy. "Allergic rhinitis" is a condition, not a list.
_ALLERGY = re.compile(r"\ballerg(?:y|ies)\b|\ballergic\s+to\b|intoleran|reactions?\s+to|\bnkda\b|"
                      r"(?:sensitive|resistant|susceptible)\s+to", re.I)
_HEADER = re.compile(r"\b[A-Za-z][A-Za-z /]{2,30}:")
_TUNABLE = ("max_distance", "chain_gap", "lead_gap", "reason_window", "fuzzy")


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    label: str
    score: float


class RuleAnnotator:
    """Lexicon-and-rules medication annotator. ``predict(text) -> Annotation``; loads the lexicon lazily."""

    name = "rules"
    version = __version__

    def __init__(self, max_distance: int = 80, chain_gap: int = 20, lead_gap: int = 12, reason_window: int = 60,
                 fuzzy: bool = True, lexicon: DrugLexicon | None = None) -> None:
        self.max_distance = max_distance
        self.chain_gap = chain_gap
        self.lead_gap = lead_gap
        self.reason_window = reason_window
        self.fuzzy = fuzzy
        self.lexicon = lexicon if lexicon is not None else DrugLexicon()
        self._fuzzy = FuzzyDrugNames(self.lexicon)

    def to_dict(self) -> dict:
        return {"type": "rules", "name": self.name, "version": self.version, **{key: getattr(self, key) for key in
                _TUNABLE}}

    @classmethod
    def from_dict(cls, config: dict) -> "RuleAnnotator":
        return cls(**{key: config[key] for key in _TUNABLE if key in config})

    def warm_up(self) -> None:
        """Build the lexicon (and the misspelling index) now, about 5 s, instead of on the first note."""
        _ = self.lexicon.entries
        if self.fuzzy:
            self._fuzzy.lookup("warmup")

    # -- prediction -------------------------------------------------------------------------------------------
    def predict(self, text: str) -> Annotation:
        bounds = list(segments(text))
        segment_of = segment_locator(bounds)
        tokens = tokenize(text)
        medications = [m for m in self._medication_candidates(text, tokens)
                       if self._is_medication(text, m, bounds, segment_of(m.start))]
        med_spans = [_Span(m.start, m.end, "medication", SCORES[m.source]) for m in medications]
        attributes = self._attribute_candidates(text, med_spans)
        misspelled = self._misspelled_medications(text, tokens, med_spans, attributes)
        if misspelled:
            med_spans = sorted(med_spans + misspelled, key=lambda span: span.start)
            attributes = [a for a in attributes if not any(a.start < m.end and m.start < a.end for m in misspelled)]
        attributes += self._reason_candidates(text, med_spans, attributes, bounds, segment_of)
        attributes.sort(key=lambda span: span.start)

        entities: list[_Span] = list(med_spans)
        relations: list[tuple[int, int, float]] = []
        owners_of = attach(text, med_spans, attributes, segment_of, self.max_distance, self.chain_gap, self.lead_gap)
        for attribute, owners in zip(attributes, owners_of):
            if not owners:
                continue  # guidelines: an attribute with no medication is not annotated
            entities.append(attribute)
            relations.extend((owner, len(entities) - 1, score) for owner, score in owners)
        order = sorted(range(len(entities)), key=lambda i: (entities[i].start, entities[i].end))
        position = {old: new for new, old in enumerate(order)}
        return Annotation(
            entities=[Entity(entities[i].start, entities[i].end, entities[i].label, entities[i].score) for i in order],
            relations=[Relation(position[h], position[t], s) for h, t, s in sorted(relations, key=lambda r: (position[r[0]], position[r[1]]))],
        )

    # -- medications ------------------------------------------------------------------------------------------
    def _medication_candidates(self, text: str, tokens) -> list[LexiconMatch]:
        """Lexicon matches, widened by product-name modifiers, plus class phrases ("pain medications")."""
        groups = [LexiconMatch(m.start(), m.end(), "group", "supplement") for m in GROUP_PHRASE.finditer(text)]
        found = list(groups)
        for match in self.lexicon.match(tokens):
            if any(match.start < g.end and g.start < match.end for g in groups):
                continue
            modifier = NAME_MODIFIER.match(text, match.end)
            if modifier and modifier.end() > match.end:
                match = LexiconMatch(match.start, modifier.end(), match.canonical, match.source)
            found.append(match)
        return sorted(found, key=lambda m: m.start)

    def _misspelled_medications(self, text: str, tokens, medications: list[_Span],
                                attributes: list[_Span]) -> list[_Span]:
        """Words one or two edits from a drug name, accepted only with a dose, route or frequency right after
        them or a route right before ("amnioderone 200 mg", "PO AMNIODERONE")."""
        if not self.fuzzy:
            return []
        taken = [(s.start, s.end) for s in medications + attributes]
        after = {a.start: a for a in attributes}
        found = []
        for token in tokens:
            if len(token.text) < 5 or not token.text.isalpha() or any(token.start < e and s < token.end
                                                                         for s, e in taken):
                continue
            gap = text[token.end : token.end + 3]
            nxt = next((after[p] for p in range(token.end, token.end + len(gap) + 1) if p in after), None)
            before = [a for a in attributes if a.label == "route" and 0 <= token.start - a.end <= 1]
            if nxt is None and not before:
                continue
            if self._fuzzy.lookup(token.text) is not None:
                found.append(_Span(token.start, token.end, "medication", SCORES["fuzzy"]))
        return found

    def _is_medication(self, text: str, match: LexiconMatch, bounds: list[tuple[int, int]], segment: int) -> bool:
        surface = text[match.start : match.end].lower()
        after = text[match.end : match.end + 40]
        if _LAB_AFTER.match(after):
            return False  # "dig level", "vanco trough"
        if surface in _LAB_LIKE and (_VALUE_AFTER.match(after) or _CONDITION_BEFORE.search(text[:match.start])):
            return False  # "potassium 3.9", "low magnesium"
        context = text[bounds[segment][0] : match.start] if bounds else text[: match.start]
        allergy = None
        for allergy in _ALLERGY.finditer(context):
            pass
        # An allergy mention earlier in the segment rules the drug out unless a new header ("MEDICATIONS:")
        # starts after it.
        return allergy is None or bool(_HEADER.search(context, allergy.end()))

    # -- attributes -------------------------------------------------------------------------------------------
    @staticmethod
    def _attribute_candidates(text: str, medications: list[_Span]) -> list[_Span]:
        taken = [(m.start, m.end) for m in medications]
        chosen: list[_Span] = []
        for label in ATTRIBUTE_PRIORITY:
            for match in ATTRIBUTE_PATTERNS[label].finditer(text):
                start, end = match.span()
                if text[end - 1] == "." and text.count(".", start, end) == 1:
                    end -= 1  # a sentence's full stop, not an abbreviation's ("bid." vs "b.i.d.")
                if any(start < e and s < end for s, e in taken):
                    continue
                taken.append((start, end))
                chosen.append(_Span(start, end, label, SCORES[label]))
        for medication in medications:
            bare = patterns.BARE_DOSE.match(text, medication.end)
            if bare and not any(bare.start(1) < e and s < bare.end(1) for s, e in taken):
                taken.append(bare.span(1))
                chosen.append(_Span(bare.start(1), bare.end(1), "dosage", SCORES["dosage"]))
        return chosen

    def _reason_candidates(self, text, medications, attributes, bounds, segment_of) -> list[_Span]:
        taken = [(s.start, s.end) for s in medications + attributes]
        reasons = []
        for medication in medications:
            segment_end = bounds[segment_of(medication.start)][1] if bounds else len(text)
            for match in patterns.REASON.finditer(text, medication.end, segment_end):
                start, end = match.span("reason")
                if start > medication.end + self.reason_window:
                    break
                phrase = text[start:end]
                if patterns.NOT_REASON.match(phrase) or any(start < e and s < end for s, e in taken):
                    continue
                phrase_end = start + len(phrase.rstrip(" .,;:-"))
                reasons.append(_Span(start, phrase_end, "reason", SCORES["reason"]))
                taken.append((start, phrase_end))
                break
        return reasons
