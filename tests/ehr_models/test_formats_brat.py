import io

import pytest

from ehr_models.formats import brat
from ehr_models.formats.examples import document_examples

TEXT = ("Since renal insufficiency was induced by AMPH, daily administration of 200 mg of ITCZ was initiated "
        "orally for candidiasis.")


def _ann(text: str) -> str:
    def at(phrase, label, ident):
        start = text.index(phrase)
        return f"{ident}\t{label} {start} {start + len(phrase)}\t{phrase}"

    treatment = "daily administration of 200 mg of ITCZ"
    lines = [at(treatment, "Treatment", "T9"), at("200 mg", "Dosage", "T12"), at("daily administration", "Freq", "T13"),
             at("ITCZ", "Drug", "T14"), at("candidiasis", "Treat-Disorder", "T15"), at("AMPH", "Drug", "T18"),
             at("orally", "Route", "T19"), at("initiated", "Potential_therapeutic_event", "T10"),
             "E1\tPotential_therapeutic_event:T10 arg:T9 arg2:T15", "R1\thas Arg1:T9 Arg2:T15",
             "A1\tSpeculated E1", "A2\tSeverity E1 High", "#1\tAnnotatorNotes T9\tfree text"]
    # A discontinuous entity: "renal" + "insufficiency" as two fragments.
    lines.append("T20\tEffect 6 11;12 25\trenal insufficiency")
    return "\n".join(lines)  # PHEE's .ann files end without a newline


def test_reads_entities_events_relations_attributes(tmp_path):
    (tmp_path / "doc1.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "doc1.ann").write_text(_ann(TEXT), encoding="utf-8")
    (tmp_path / "empty.txt").write_text("No annotations here.", encoding="utf-8")
    documents = brat.read_directory(tmp_path)
    assert [d.id for d in documents] == ["doc1", "empty"]
    doc = documents[0]
    assert all(TEXT[e.start:e.end] == e.text for e in doc.entities.values() if len(e.fragments) == 1)
    assert doc.entities["T20"].fragments == ((6, 11), (12, 25))
    assert doc.events[0].trigger == "T10" and doc.events[0].arguments == (("arg", "T9"), ("arg2", "T15"))
    assert doc.relations[0].arguments == (("Arg1", "T9"), ("Arg2", "T15"))
    assert [(a.type, a.target, a.value) for a in doc.attributes] == [("Speculated", "E1", ""),
                                                                     ("Severity", "E1", "High")]
    # write_ann is the reverse of parse_ann
    handle = io.StringIO()
    brat.write_ann(doc, handle)
    again = brat.parse_ann(handle.getvalue().splitlines(), brat.BratDocument("doc1", TEXT))
    assert again.entities == doc.entities and again.events == doc.events and again.relations == doc.relations


def test_phee_medication_labels_and_links(tmp_path):
    (tmp_path / "doc1.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "doc1.ann").write_text(_ann(TEXT), encoding="utf-8")
    document = brat.phee_medication_document(brat.read_document(tmp_path / "doc1.txt"))
    spans = {TEXT[s:e]: label for s, e, label in document.spans}
    assert spans == {"200 mg": "dosage", "daily administration": "frequency", "ITCZ": "medication",
                     "candidiasis": "reason", "AMPH": "medication", "orally": "route"}
    links = {(TEXT[document.spans[h][0]:document.spans[h][1]], TEXT[document.spans[t][0]:document.spans[t][1]])
             for h, t in document.links}
    # Attributes inside ITCZ's Treatment, and the disorder its Treatment "has"; "orally" is outside it.
    assert links == {("ITCZ", "200 mg"), ("ITCZ", "daily administration"), ("ITCZ", "candidiasis")}
    examples = document_examples(document)
    assert sum(len(e.spans) for e in examples) == 6


def test_generic_conversion_keeps_fragments_and_relation_links(tmp_path):
    (tmp_path / "doc1.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "doc1.ann").write_text(_ann(TEXT), encoding="utf-8")
    document = brat.to_document(brat.read_document(tmp_path / "doc1.txt"),
                                {"Treatment": "treatment", "Treat-Disorder": "reason", "Effect": "effect"})
    assert sorted(TEXT[s:e] for s, e, _ in document.spans) == sorted(
        ["daily administration of 200 mg of ITCZ", "candidiasis", "renal", "insufficiency"])
    (head, tail), = document.links
    assert document.spans[head][2] == "treatment" and document.spans[tail][2] == "reason"


def test_malformed_line_names_the_line():
    with pytest.raises(ValueError, match="line 2"):
        brat.parse_ann(["T1\tDrug 0 4\tITCZ", "T2\tDrug zero four\tx"], brat.BratDocument("d", "ITCZ"))
