"""The de-identification engine on notes these tests write (all names, dates, numbers and places are invented)."""

from __future__ import annotations

import json
import logging

import pytest

from ehr_models.deid import (DeidConfig, DeidConfigError, DeidEngine, NoteContext, OffsetMap, PhiSpan, SiteLists,
                             TaggerRecognizer, build_recognizer)
from ehr_models.deid.engine import RULE_RECOGNIZERS
from ehr_models.deid.evaluate import main as evaluate_main
from ehr_models.deid.fit import TrainingNote, fit_config
from ehr_models.deid.metrics import DeidScores
from ehr_models.deid.phi import merge
from ehr_models.deid.split import in_split, patient_split
from ehr_models.text import tokenize

NOTE = (
    "Pt seen by Dr. Zorbanek on 7/22 and again Nov. 16, 2015. Wife Marisol called from 410-555-0199.\n"
    "PSV 10/5 overnight, 1/2 NS at 75cc/hr. Lasix 40mg IV given, Coumadin held, Heparin drip started.\n"
    "Transferred from Elderbrook Hospital. MRN: 4417302. Email jdoe@example.com, SSN 123-45-6789.\n"
    "92 yo female. Zorbanek aware of K 3.1.\n"
    "ANTHONY C. KWIATEK, RRT\n"
)
PHI = ["Zorbanek", "7/22", "Nov. 16", "Marisol", "410-555-0199", "Elderbrook", "4417302", "jdoe@example.com",
       "123-45-6789", "92", "ANTHONY", "KWIATEK"]
CLINICAL = ["PSV 10/5", "1/2 NS", "Lasix", "Coumadin", "Heparin", "K 3.1", "40mg"]


@pytest.fixture(scope="module")
def engine() -> DeidEngine:
    return DeidEngine()


def covered(text: str, spans: list[PhiSpan]) -> set[int]:
    return {i for span in spans for i in range(span.start, span.end)}


def test_finds_every_identifier_and_keeps_clinical_content(engine):
    spans = engine.find(NOTE)
    chars = covered(NOTE, spans)
    for phrase in PHI:
        start = NOTE.index(phrase)
        assert all(i in chars for i in range(start, start + len(phrase)) if NOTE[i].isalnum()), phrase
    for phrase in CLINICAL:
        start = NOTE.index(phrase)
        assert not any(i in chars for i in range(start, start + len(phrase))), phrase
    labels = {NOTE[s.start : s.end]: s.label for s in spans}
    assert labels["410-555-0199"] == "PHONE" and labels["123-45-6789"] == "SSN" and labels["7/22"] == "DATE"
    assert labels["92"] == "AGE" and labels["jdoe@example.com"] == "EMAIL"


def test_propagation_finds_a_name_everywhere_in_the_note(engine):
    text = "Dr. Quellmann paged. later quellmann aware; QUELLMANN to call back."
    found = [text[s.start : s.end].lower() for s in engine.find(text)]
    assert found.count("quellmann") == 3


def test_vent_settings_fractions_and_pain_scores_are_not_dates(engine):
    text = "On CPAP 5/5 then PS 10/5, rales 1/3 up, c/o CP 3/10. Extubated on 8/14, cx from 9/2 pending."
    dates = [text[s.start : s.end] for s in engine.find(text) if s.label == "DATE"]
    assert dates == ["8/14", "9/2"]


def test_drug_names_are_not_taken_for_names_even_capitalised(engine):
    text = "Given Ativan and Haldol overnight, then Zosyn. Son Rupert visited with Lopressor list."
    found = {text[s.start : s.end] for s in engine.find(text)}
    assert "Rupert" in found
    assert not found & {"Ativan", "Haldol", "Zosyn", "Lopressor"}


def test_masking_and_offset_map_back_to_the_original(engine):
    result = engine.deidentify(NOTE, mode="mask")
    assert "[**NAME**]" in result.text and "[**DATE**]" in result.text
    for phrase in PHI:
        assert phrase not in result.text
    for i, span in enumerate(result.spans):
        new_start, new_end, old_start, old_end = result.offsets.segments[i]
        assert (old_start, old_end) == (span.start, span.end)
        assert result.offsets.to_original(new_start, new_end) == (span.start, span.end)
    word = "Coumadin"
    new = result.text.index(word)
    start, end = result.offsets.to_original(new, new + len(word))
    assert NOTE[start:end] == word
    assert OffsetMap.from_dict(json.loads(json.dumps(result.offsets.to_dict()))) == result.offsets


def test_surrogates_shift_dates_per_patient_and_keep_intervals(engine):
    text = "Admitted 3/10/2019, extubated 3/14/2019. Dr. Zorbanek saw her."
    first = engine.deidentify(text, mode="surrogate", salt="s3cret", patient_id="p1")
    again = engine.deidentify(text, mode="surrogate", salt="s3cret", patient_id="p1")
    other = engine.deidentify(text, mode="surrogate", salt="other", patient_id="p1")
    assert first.text == again.text and first.text != other.text
    assert "Zorbanek" not in first.text and "3/10/2019" not in first.text
    import datetime as dt
    dates = [dt.datetime.strptime(first.text[a:b], "%m/%d/%Y") for a, b, _, _ in first.offsets.segments[:2]]
    assert (dates[1] - dates[0]).days == 4
    word = "saw"
    new = first.text.index(word)
    assert text[slice(*first.offsets.to_original(new, new + 3))] == word


def test_config_round_trips_and_checks_its_version():
    config = DeidConfig(site=SiteLists(frozenset({"quellmann"}), frozenset({"elderbrook"}),
                                       frozenset({"holy cross"})), learned_vocabulary=frozenset({"tele"}))
    data = json.loads(json.dumps(config.to_dict()))
    assert DeidConfig.from_dict(data) == config
    assert DeidEngine.from_dict(data).to_dict() == data
    with pytest.raises(DeidConfigError):
        DeidConfig.from_dict({**data, "version": "99"})


def test_site_lists_add_local_names_and_places():
    text = "per quellmann, transfer to elderbrook 4 in am."
    rules = [dict(r) for r in RULE_RECOGNIZERS]  # the site lists feed the rules (the tagger may find both anyway)
    plain = {text[s.start : s.end] for s in DeidEngine(DeidConfig(recognizers=rules)).find(text)}
    site = DeidConfig(recognizers=rules, site=SiteLists(frozenset({"quellmann"}), frozenset({"elderbrook"})))
    local = {text[s.start : s.end] for s in DeidEngine(site).find(text)}
    assert {"quellmann", "elderbrook"} <= local
    assert "elderbrook" not in plain


def test_no_phi_in_logs_or_error_messages(engine, caplog):
    caplog.set_level(logging.DEBUG)
    engine.deidentify(NOTE, mode="mask", note_id="n1")
    engine.deidentify(NOTE, mode="surrogate", salt="x", patient_id="p9", note_id="n1")
    messages = []
    for mode, salt in (("bogus", None), ("surrogate", None)):
        with pytest.raises(DeidConfigError) as caught:
            engine.deidentify(NOTE, mode=mode, salt=salt, note_id="n1")
        messages.append(str(caught.value))
        assert "n1" in caught.value.message
    logged = " ".join(record.getMessage() for record in caplog.records)
    for phrase in PHI:
        assert all(phrase not in message for message in messages + [logged]), phrase


def test_a_learned_tagger_plugs_in_as_one_more_recognizer():
    class FakeTagger:
        def predict_spans(self, text, tokens):
            return [(t.start, t.end, "PTName") for t in tokens if t.text == "Orrinwald"] + [(0, 2, "O-ignored")]

    tagger = TaggerRecognizer(FakeTagger(), {"PTName": "NAME"})
    text = "Pt Orrinwald resting."
    spans = DeidEngine(extra=[tagger]).find(text)
    assert [(text[s.start : s.end], s.label) for s in spans] == [("Orrinwald", "NAME")]
    assert tagger.to_dict()["type"] == "tagger"
    with pytest.raises(KeyError):
        build_recognizer({"type": "no-such-recognizer"})
    assert build_recognizer("dates").find(NoteContext("seen 7/22"))[0].label == "DATE"


def test_merge_joins_overlaps_and_hyphenated_names():
    text = "RETTERER-MOORE 7/22"
    spans = merge([PhiSpan(9, 14, "NAME"), PhiSpan(0, 8, "NAME"), PhiSpan(15, 19, "DATE"), PhiSpan(17, 19, "ID")],
                  text)
    assert [(s.start, s.end, s.label) for s in spans] == [(0, 14, "NAME"), (15, 19, "ID")]


def test_patient_split_is_stable_and_covers_everyone():
    sides = {patient_split(str(p)) for p in range(1, 81)}
    assert sides == {"dev", "test"}
    assert all(in_split(str(p), "all") for p in range(5))
    assert patient_split("17") == patient_split("17")
    with pytest.raises(ValueError):
        in_split("1", "train")


def test_scores_blind_typed_and_medication_words():
    text = "Dr. Quell gave Lasix on 7/22."
    tokens = tokenize(text)
    gold = [(4, 9, "HCPName"), (24, 28, "Date")]
    predicted = [(4, 9, "LOCATION"), (15, 20, "NAME")]
    scores = DeidScores()
    scores.add(text, tokens, predicted, gold, drug_spans=[(15, 20)])
    result = scores.to_dict()
    assert (result["span"]["tp"], result["span"]["fp"], result["span"]["fn"]) == (1, 1, 1)
    assert result["span_typed"]["tp"] == 0
    assert result["medication_words_redacted"] == 1
    assert result["recall_by_type"]["Date"]["recall"] == 0.0


def test_fit_learns_site_lists_but_not_ambiguous_words():
    text = "Dr. Quellmann saw pt. st 90s. transfer to St. Agnes."
    at = {word: text.index(word) for word in ("Quellmann", "St.", "Agnes")}
    gold = ((at["Quellmann"], at["Quellmann"] + 9, "HCPName"), (at["St."], at["St."] + 2, "Location"),
            (at["Agnes"], at["Agnes"] + 5, "Location"))
    notes = [TrainingNote(str(p), text, gold) for p in range(4)]
    config = fit_config(notes)
    assert "quellmann" in config.site.names and "agnes" in config.site.places
    assert "st" not in config.site.places  # mostly "sinus tachycardia" in these notes
    assert "st agnes" in config.site.place_phrases


def test_evaluate_command_on_a_small_physionet_corpus(tmp_path, capsys):
    records = ["Dr. Quellmann saw pt on 7/22. Wife Marisol here.", "PSV 10/5. Lasix given. Quellmann aware."]
    text = "".join(f"START_OF_RECORD={p}||||1||||\n{body}\n||||END_OF_RECORD\n" for p, body in enumerate(records, 1))
    (tmp_path / "id.text").write_text(text)
    phrase = "1 1 4 13 HCPName Quellmann\n1 1 24 28 Date 7/22\n1 1 35 42 RelativeProxyName Marisol\n" \
             "2 1 23 32 HCPName Quellmann\n"
    (tmp_path / "id-phi.phrase").write_text(phrase)
    assert evaluate_main(["--data", str(tmp_path), "--split", "all", "--no-fit", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["span"]["recall"] == 1.0 and result["span"]["fp"] == 0
    assert result["notes"] == 2 and result["medication_words_redacted"] == 0


@pytest.mark.parametrize("text,phi,kept", [
    ("PMH: NIDDM. 09 PTCA to LCX. 13 stent to RCA.", ["09", "13"], ["LCX"]),
    ("RESP: trialed on 5/5, tolerated well. Pain 3/10, relief to 2/10.", [], ["5/5", "2/10"]),
    ("RUN OF VEA -> B. QUORVATH MD AWARE, NTG ADDED.", ["B", "QUORVATH"], ["NTG"]),
    ("Son and daughter visited. Lopiet Zerchusi cell# 410-555-0142.", ["Lopiet", "Zerchusi"], ["daughter"]),
    ("zelmira quartane is a 70 yr old female adm with chf.", ["zelmira", "quartane"], ["chf"]),
    ("will consult with patty hoelmer re skin care, per protocol.", ["patty", "hoelmer"], ["protocol"]),
    ("Pt was transfered to qh 7/22 for cath. Transferred to TSICU.", ["qh", "7/22"], ["TSICU", "cath"]),
    # session 3: signatures, relatives, compact dates, cues that are plain words
    ("Suction done. Marta Quillfeather, R.N.\n", ["Marta", "Quillfeather"], ["Suction"]),
    ("Social: Orla Brevington MD spoke with pt's daughter.", ["Orla", "Brevington"], ["daughter"]),
    ("seen by her sister-in-law Rosalind Vexley today.", ["Rosalind", "Vexley"], ["today"]),
    ("Dr. Quorvath saw pt. Later Dr. Quorvath aware.", ["Quorvath"], []),
    ("could not reach Edmund, will call back later.", ["Edmund"], ["call"]),
    ("PLEASE UPDATE KOWALCZYK FAMILY ON PLAN.", ["KOWALCZYK"], ["FAMILY", "PLAN"]),
    ("Goal: extubate, meeting with family 071598", ["071598"], ["extubate"]),
    ("Dr. o malley here. Came from Sacred Heart with chills.", ["o", "malley", "Sacred Heart"], ["chills", "here"]),
    ("HUSBAND CEO OF ZARKONIX. RETIRED FROM QUENTARO.", ["ZARKONIX", "QUENTARO"], ["HUSBAND"]),
    ("PS raised to 12/5 for the night. ON 14/5 BIPAP. Extubated on 9/27.", ["9/27"], ["12/5", "14/5"]),
    ("son phoned, will come tonight. wife will try later. Full Treat.", [], ["will", "try", "Treat"]),
    ("Pt to cath lab, PTCA/Stent to LAD. Remains DNR.", [], ["Stent"]),
    ("Came from Valley Hospital; seen at Valley on 4/9.", ["Valley", "4/9"], ["Hospital"]),
])
def test_context_rules_of_nursing_notes(text, phi, kept):
    engine = DeidEngine(DeidConfig(recognizers=[dict(r) for r in RULE_RECOGNIZERS]))
    spans = engine.find(text)
    assert all(covered(text, spans) >= set(range(text.index(p), text.index(p) + len(p))) for p in phi)
    assert not any(covered(text, spans) & set(range(text.index(k), text.index(k) + len(k))) for k in kept)


def test_a_given_name_next_to_a_found_name_goes_with_it():
    engine = DeidEngine(DeidConfig(recognizers=[dict(r) for r in RULE_RECOGNIZERS]))
    text = "Night note:\nDr. Quorvath here. Gerald Quorvath came to the unit at 10pm."
    found = {text[s.start : s.end] for s in engine.find(text)}
    assert "Gerald" in " ".join(found) and "unit" not in " ".join(found)


def test_common_clinical_words_veto_weak_cues_but_not_titles():
    engine = DeidEngine(DeidConfig(recognizers=[dict(r) for r in RULE_RECOGNIZERS]))
    assert engine.find("Remains DNR, Full Treat. Stent to LAD.") == []
    text = "Dr. Treat aware."
    assert [text[s.start : s.end] for s in engine.find(text)] == ["Treat"]
    assert DeidConfig.from_dict(DeidConfig().to_dict()).common_vocabulary is True
    assert DeidConfig.from_dict({**DeidConfig().to_dict(), "common_vocabulary": False}).common_vocabulary is False


def test_folded_patterns_match_as_the_case_insensitive_ones():
    from ehr_models.deid.dates import MONTH_DAY
    from ehr_models.deid.recognizers import Folded

    folded = Folded(MONTH_DAY)
    assert folded.folded is not None
    for text in ("Seen NOV. 16, 2015 and on 3rd of March; mri Jan 5", "Café visit on Nov 16 and DEC 3rd 2004"):
        note = NoteContext(text)
        assert [m.span() for m in folded.finditer(note)] == [m.span() for m in MONTH_DAY.finditer(text)]
    import re

    assert Folded(re.compile(r"\bMRN\d+", re.I)).folded is None  # an upper-case literal keeps the slow path
