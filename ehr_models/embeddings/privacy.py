"""Which vocabulary entries would be PHI: gold PHI words of the PhysioNet deid corpus that are not ordinary words.

"Ordinary" has an operational definition here, so that tests and the shipped vocabulary use the same one: a word is
ordinary when published biomedical text (BC5CDR, NCBI-disease, PHEE: abstracts and case reports, no patient
records) writes it in lower case somewhere. Common words that are also names ("brown", "will", "general") pass;
names ("calvert", "przybylo") and month abbreviations ("nov") do not, even when the literature prints them
capitalised. Tokens without a letter (numbers are all zeros after normalization, punctuation) identify no one.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Collection, Iterable

from ehr_models.formats import conll
from ehr_models.formats.physionet import read_phi, read_records
from ehr_models.text import normalize_token, tokenize

_LOGGER = logging.getLogger(__name__)
NAME_AND_PLACE_LABELS = ("HCPName", "PTName", "RelativeProxyName", "Location")
REFERENCE_CONLL = ("BC5CDR", "NCBI-disease")


def _has_letter(token: str) -> bool:
    return any(ch.isalpha() for ch in token)


def phi_words(data_dir: Path, labels: Collection[str] | None = None) -> set[str]:
    """Normalized tokens (with a letter) of the gold PHI spans in ``deid-physionet/dev``; ``labels`` limits the
    PHI types (``id-phi.phrase`` names: ``HCPName``, ``Location``, ``Date``...), ``None`` takes them all."""
    dev = data_dir / "deid-physionet" / "dev"
    with open(dev / "id.text", encoding="utf-8") as handle:
        texts = {record.note_id: record.text for record in read_records(handle)}
    words: set[str] = set()
    with open(dev / "id-phi.phrase", encoding="utf-8") as handle:
        for span in read_phi(handle):
            if labels is None or span.label in labels:
                phrase = texts[span.note_id][span.start : span.end]
                words.update(normalize_token(t.text) for t in tokenize(phrase) if _has_letter(t.text))
    return words


def _lowercase_words(tokens: Iterable[str]) -> set[str]:
    return {normalize_token(token) for token in tokens if token.islower()}


def ordinary_words(data_dir: Path) -> set[str]:
    """Words written in lower case in the published biomedical corpora of ``data_dir`` (see the module doc)."""
    words: set[str] = set()
    for name in REFERENCE_CONLL:
        for path in sorted((data_dir / "biomed-ner" / name).glob("*.tsv")):
            for example in conll.read(path):
                words |= _lowercase_words(example.tokens)
    for path in sorted((data_dir / "phee").glob("*/*.txt")):
        words |= _lowercase_words(token.text for token in tokenize(path.read_text(encoding="utf-8")))
    return words


def phi_vocabulary(data_dir: Path, labels: Collection[str] | None = None) -> set[str]:
    """Gold PHI words (of ``labels``) that are not ordinary words: none of them may enter a vocabulary."""
    return phi_words(data_dir, labels) - ordinary_words(data_dir)
