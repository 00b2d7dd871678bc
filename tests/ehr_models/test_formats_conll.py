import io

import pytest

from ehr_models.formats import conll
from ehr_models.formats.examples import Example

TSV = (
    "-DOCSTART-\tO\n\n"
    "Selegiline\tB-Chemical\n-\tO\ninduced\tO\nhypotension\tB-Disease\n.\tO\n\n"
    "Carbonic\tB-Chemical\nanhydrase\tI-Chemical\ninhibitors\tI-Chemical\n\n\n"
    "stray\tI-Disease\ntext\tO\n"  # no blank line at the end, and an I- that starts a span
)


def test_reads_sentences_and_spans_from_a_file(tmp_path):
    path = tmp_path / "train.tsv"
    path.write_text(TSV, encoding="utf-8")
    examples = conll.read(path)
    assert [e.id for e in examples] == ["train#0", "train#1", "train#2"]
    assert examples[0].tokens == ("Selegiline", "-", "induced", "hypotension", ".")
    assert examples[0].spans == ((0, 1, "Chemical"), (3, 4, "Disease"))
    assert examples[1].spans == ((0, 3, "Chemical"),)
    assert examples[2].spans == ((0, 1, "Disease"),)


def test_write_then_read_round_trips_in_both_schemes(tmp_path):
    examples = [Example("a#0", ("lasix", "40", "mg", "po"), ((0, 1, "drug"), (1, 3, "dose"))),
                Example("a#1", ("none", "here"))]
    for scheme in ("BIO", "BIOES"):
        handle = io.StringIO()
        conll.write(examples, handle, scheme)
        assert [(e.tokens, e.spans) for e in conll.parse(handle.getvalue().splitlines(), "a")] == \
            [(e.tokens, e.spans) for e in examples]
    assert "S-drug" in _written(examples, "BIOES") and "S-drug" not in _written(examples, "BIO")


def _written(examples, scheme):
    handle = io.StringIO()
    conll.write(examples, handle, scheme)
    return handle.getvalue()


def test_line_without_a_tag_is_an_error_with_its_line_number():
    with pytest.raises(ValueError, match="line 2"):
        list(conll.parse(["ok\tO\n", "broken\n"], "bad"))
