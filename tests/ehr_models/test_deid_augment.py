"""Surrogate/case augmentation of PHI tagger training notes, the census token feature and windowed reading (notes
and names invented)."""

from __future__ import annotations

import random

from ehr_models.deid.augment import Surrogator, augment, recase, surrogate_copy
from ehr_models.deid.features import CensusNameFeature
from ehr_models.deid.tagger import windows
from ehr_models.deid.tagger_training import _original_id, windowed
from ehr_models.formats.examples import Example
from ehr_models.tagging.features import FEATURES

TEXT = "SON AT BEDSIDE, ZORVAN, CALLED DR. QUELLMANN 9/27. (410-555-0142) Pt seen by team. daughter called."
GOLD = [(TEXT.index(w), TEXT.index(w) + len(w), k) for w, k in
        (("ZORVAN", "RelativeProxyName"), ("QUELLMANN", "HCPName"), ("9/27", "Date"), ("(410-555-0142)", "Phone"))]


def test_surrogate_copies_replace_every_gold_span_and_keep_the_rest():
    for seed in range(20):
        copy = surrogate_copy("n1", TEXT, GOLD, random.Random(seed))
        assert [kind for _, _, kind in copy.phi] == [kind for _, _, kind in GOLD]
        assert "ZORVAN" not in copy.text.upper() and "QUELLMANN" not in copy.text.upper()
        assert copy.text.startswith("SON AT BEDSIDE, ") and copy.text.endswith("Pt seen by team. daughter called.")
        phone = copy.text[copy.phi[3][0] : copy.phi[3][1]]
        assert phone.startswith("(") and phone.endswith(")") and sum(c.isdigit() for c in phone) >= 4


def test_equal_originals_get_equal_stand_ins_within_a_copy():
    text = "Dr. Quellmann paged. Quellmann aware."
    gold = [(4, 13, "HCPName"), (21, 30, "HCPName")]
    copy = surrogate_copy("n1", text, gold, random.Random(4))
    first, second = (copy.text[s:e] for s, e, _ in copy.phi)
    assert first.lower() == second.lower()


def test_insertion_puts_names_into_plain_contexts():
    text = "once pt woke up he was calm. daughter called. MD aware. transferred from OSH today."
    kinds = set()
    for seed in range(30):
        copy = surrogate_copy("n1", text, [], random.Random(seed), insert=0.9)
        kinds |= {kind for _, _, kind in copy.phi}
        for start, end, _ in copy.phi:
            assert copy.text[start:end].strip() == copy.text[start:end] and end > start
    assert kinds == {"PTName", "RelativeProxyName", "HCPName", "Location"}


def test_augment_is_deterministic_and_case_copies_keep_offsets():
    notes = [("n1", TEXT, GOLD)]
    first, second = augment(notes, copies=3, case_copies=2, seed=7), augment(notes, copies=3, case_copies=2, seed=7)
    assert first == second and [n.note_id for n in first] == ["n1~s0", "n1~s1", "n1~s2", "n1~c0", "n1~c1"]
    for copy in first[3:]:
        assert copy.phi == tuple(GOLD) and copy.text.lower() == TEXT.lower()
    assert recase("Stra\u00dfe", "upper") == "Stra\u00dfe"  # "SS" would shift offsets: left as it is
    assert _original_id("n1~s2#7") == "n1#7"


def test_surrogator_values_have_the_type_and_case_of_the_original():
    surrogator = Surrogator(random.Random(3))
    assert all(len(surrogator.value("PTNameInitial", "J")) == 1 for _ in range(20))
    assert all(90 <= int(surrogator.value("Age", "91")) <= 104 for _ in range(20))
    assert all(surrogator.value("Date", "9/27").strip() for _ in range(20))
    upper = [surrogator.value("HCPName", "ZORBEK") for _ in range(50)]
    assert sum(v.isupper() for v in upper) > 30


def test_census_feature_tells_names_from_clinical_words():
    feature = FEATURES["census_name"]()
    assert isinstance(feature, CensusNameFeature)
    ids = dict(zip(["Winifred", "lasix", "GONZALEZ", "42", "O'Malley's"],
                   feature(["Winifred", "lasix", "GONZALEZ", "42", "O'Malley's"])))
    nothing = CensusNameFeature.values.index("-/-")
    assert ids["lasix"] == nothing and ids["42"] == nothing
    assert ids["Winifred"] != nothing and ids["GONZALEZ"] != nothing and ids["O'Malley's"] != nothing


def test_windows_around_unknown_words_merge_and_clip():
    words = "pt seen by dr zorbanek today and then his wife marisolde at bedside lasix given at noon".split()
    known = set(words) - {"zorbanek", "marisolde"}
    assert windows(words, 0, len(words), known, 3) == [(1, 14)]  # near each other: one window
    assert windows(words, 0, len(words), known, 1) == [(3, 6), (9, 12)]
    assert windows(words, 5, 12, known, 3) == [(7, 12)]  # clipped to the sentence
    example = Example("s1", tuple(words), ((4, 5, "NAME"), (10, 11, "NAME")), tuple((i, i + 1) for i in range(17)))
    cut = windowed([example], known, 1)
    assert [(e.tokens, e.spans) for e in cut] == [(("dr", "zorbanek", "today"), ((1, 2, "NAME"),)),
                                                  (("wife", "marisolde", "at"), ((1, 2, "NAME"),))]
