"""The bundled sample notes (``pipelines/sample_notes``, fictional) through the default engine: the names they
carry are removed, and the clinical content that looked like PHI to earlier versions stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from ehr_models.deid import DeidEngine
from ehr_models.rules.lexicon import DrugLexicon
from ehr_models.text import tokenize

SAMPLES = Path(__file__).resolve().parents[2] / "pipelines" / "sample_notes"

# (file, PHI that must be removed entirely)
REMOVED = [
    ("discharge-summary-4471.txt", "Margaret O'Donnell"),  # after "Patient:"
    ("discharge-summary-4471.txt", "Samuel Whitfield"),
    ("nursing/nurse-7.txt", "J. Kowalczyk"),  # after "pt:"
    ("nursing/nurse-7.txt", "Anna"),
    ("nursing/nurse-12.txt", "DAVID"),  # "SON AT BEDSIDE,\nDAVID," in a note all in capitals
    ("ed-note-9020.txt", "Luis Ferreira"),
    ("clinic-letter-2044.txt", "Thomas Reyes"),
    ("clinic-letter-2044.txt", "Priya Natarajan"),
    ("clinic-letter-2044.txt", "Millbrook"),  # "Millbrook, NY 12545": a town before its state and ZIP
    ("clinic-letter-2044.txt", "12545"),
    ("discharge-summary-4471.txt", "Fairhaven"),
]
# (file, text that must survive untouched)
KEPT = [
    ("ed-note-9020.txt", "Age: 34"),  # "Age" is a surname in the census lists
    ("nursing/nurse-7.txt", "relief to 2/10"),  # a pain score, not 10 February
    ("ed-note-9020.txt", "Headache 2/10"),
]


@pytest.fixture(scope="module")
def found() -> dict[str, tuple[str, set[int]]]:
    engine = DeidEngine()
    result = {}
    for path in sorted(SAMPLES.rglob("*.txt")):
        text = path.read_text(encoding="utf-8")
        result[path.relative_to(SAMPLES).as_posix()] = (text, {i for s in engine.find(text)
                                                               for i in range(s.start, s.end)})
    return result


@pytest.mark.parametrize("name,phrase", REMOVED)
def test_sample_names_are_removed(found, name, phrase):
    text, covered = found[name]
    start = text.index(phrase)
    assert all(i in covered for i in range(start, start + len(phrase)) if text[i].isalnum())


@pytest.mark.parametrize("name,phrase", KEPT)
def test_sample_clinical_content_is_kept(found, name, phrase):
    text, covered = found[name]
    start = text.index(phrase)
    assert not covered & set(range(start, start + len(phrase)))


def test_no_medication_word_of_the_samples_is_redacted(found):
    lexicon = DrugLexicon()
    for name, (text, covered) in found.items():
        drugs = [m for m in lexicon.match(tokenize(text))]
        assert drugs or name.startswith("nursing/nurse-12")
        assert not [m for m in drugs if covered & set(range(m.start, m.end))], name
