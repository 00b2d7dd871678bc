"""What makes a worker start fast and tokenize each note once gives the same results as before:
the drug lexicon's cache (ehr_models/rules/lexicon.py) and the tokenizer's recent-notes cache
(ehr_models/text/tokenizer.py)."""

import json
import subprocess
import sys

import pytest

from ehr_models.rules import lexicon
from ehr_models.text import Token, tokenizer

FAKE_DICTIONARY = {"metoprolol succinate": "metoprolol", "k-dur": "potassium chloride", "tylenol #3": "acetaminophen",
                   "lasix": "furosemide", "the": "not a drug", "d5w": "dextrose", "Tylenol": "acetaminophen"}


@pytest.fixture()
def fresh_lexicon(monkeypatch, tmp_path):
    """Lexicon caches emptied, the cache directory in tmp_path, and a small dictionary instead of the package's."""
    monkeypatch.setenv(lexicon.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(lexicon, "_dictionary_variants", lambda: dict(FAKE_DICTIONARY))
    monkeypatch.setattr(lexicon, "_BUILT", {})
    lexicon._tokenized_dictionary.cache_clear()
    yield tmp_path / "cache"
    lexicon._tokenized_dictionary.cache_clear()


def _uncached_entries() -> dict:
    """What DrugLexicon._build computed before the cache: every variant tokenized here."""
    probe = lexicon.DrugLexicon()
    entries = {}
    for variant, canonical in FAKE_DICTIONARY.items():
        key = lexicon._key(variant)
        if probe._usable(key):
            entries[key] = (canonical, "dictionary")
    for variant, canonical in lexicon.CLINICAL_SUPPLEMENT.items():
        entries[lexicon._key(variant)] = (canonical, "supplement")
    return entries


def test_lexicon_cache_is_written_once_and_gives_the_same_entries(fresh_lexicon):
    built = lexicon.DrugLexicon().entries
    files = list(fresh_lexicon.glob("drug-lexicon-*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["format"] == lexicon.CACHE_FORMAT
    assert built == _uncached_entries() and list(built) == list(_uncached_entries())
    # A new process: the cache is read (the dictionary is never consulted) and gives the same table.
    lexicon._tokenized_dictionary.cache_clear()
    lexicon._BUILT.clear()
    lexicon._dictionary_variants = lambda: pytest.fail("the cache should have been used")
    again = lexicon.DrugLexicon().entries
    assert again == built and list(again) == list(built)


def test_a_damaged_lexicon_cache_is_rebuilt(fresh_lexicon):
    expected = lexicon.DrugLexicon().entries
    path = next(fresh_lexicon.glob("drug-lexicon-*.json"))
    for damage in ('{"format": 1, "pairs": [["lasix"]]}', "not json", '{"format": 999, "pairs": []}'):
        path.write_text(damage)
        lexicon._tokenized_dictionary.cache_clear()
        lexicon._BUILT.clear()
        assert lexicon.DrugLexicon().entries == expected


def test_an_empty_cache_setting_turns_the_cache_off(fresh_lexicon, monkeypatch):
    monkeypatch.setenv(lexicon.CACHE_ENV, "")
    assert lexicon.cache_dir() is None
    assert lexicon.DrugLexicon().entries == _uncached_entries()
    assert not fresh_lexicon.exists()


def test_lexicons_of_one_configuration_share_their_table(fresh_lexicon):
    assert lexicon.DrugLexicon().entries is lexicon.DrugLexicon().entries
    assert lexicon.DrugLexicon(min_chars=5).entries is not lexicon.DrugLexicon().entries


def test_the_dictionary_file_is_read_without_importing_its_package():
    code = ("import sys; from ehr_models.rules import lexicon; data = lexicon._dictionary_bytes(); "
            "print(len(data) > 0, lexicon.PACKAGE in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "False"]


def _reference_tokens(text: str, offset: int = 0) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start() + offset, m.end() + offset) for m in tokenizer._TOKEN.finditer(text)]


def test_cached_tokens_are_the_tokens(monkeypatch):
    monkeypatch.setattr(tokenizer, "_cache", {})
    monkeypatch.setattr(tokenizer, "_cached_chars", 0)
    note = "Lasix 40mg PO q6h; patient's MSO4 2.5 mg IV.\n" * 20
    for text in (note, "short: 40mg", note[:300], "x" * 400):
        for offset in (0, 17):
            for _ in range(2):  # the second call is served from the cache
                tokens = tokenizer.tokenize(text, offset)
                assert [tuple(t) for t in tokens] == _reference_tokens(text, offset)
                assert all(type(t) is Token for t in tokens)
    first = tokenizer.tokenize(note)
    first.append("changed by a caller")
    assert tokenizer.tokenize(note) == [Token(*t) for t in _reference_tokens(note)]


def test_the_token_cache_stays_within_its_bound(monkeypatch):
    monkeypatch.setattr(tokenizer, "_cache", {})
    monkeypatch.setattr(tokenizer, "_cached_chars", 0)
    monkeypatch.setattr(tokenizer, "CACHE_CHARS", 2000)
    texts = [f"note {i}: " + "aspirin 81 mg daily. " * 30 for i in range(20)]
    for text in texts:
        tokenizer.tokenize(text)
        assert tokenizer._cached_chars == sum(map(len, tokenizer._cache)) <= 2000
    assert texts[-1] in tokenizer._cache and texts[0] not in tokenizer._cache


def test_rule_annotators_over_one_table_share_their_misspelling_index(fresh_lexicon, monkeypatch):
    monkeypatch.setattr(lexicon, "_FUZZY", {})
    first, second = lexicon.FuzzyDrugNames(lexicon.DrugLexicon()), lexicon.FuzzyDrugNames(lexicon.DrugLexicon())
    assert first.lookup("lasixx") == second.lookup("lasixx") == "lasix"
    assert first._index is second._index
    assert first._index == lexicon.FuzzyDrugNames(lexicon.DrugLexicon())._build()
    other = lexicon.FuzzyDrugNames(lexicon.DrugLexicon(), min_chars=6)
    other.lookup("furosemidd")
    assert other._index is not first._index
