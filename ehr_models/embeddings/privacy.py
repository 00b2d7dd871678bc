"""Which vocabulary entries would be PHI: gold PHI words of the PhysioNet deid corpus that are not ordinary words.

"Ordinary" has an operational definition here, so that tests and the shipped vocabulary use the same one: a word is
ordinary when some text writes it in lower case where it is not PHI: published biomedical text (BC5CDR,
NCBI-disease, PHEE: abstracts and case reports), MTSamples transcriptions, and the deid notes themselves outside
every gold PHI span. Common words that are also names ("brown", "will", "general") and nursing shorthand that is
also a name ("foley", "art", "eve") pass; names ("calvert") and month abbreviations ("nov") do not, since text
capitalises them. Tokens of one character or without a letter (numbers are all zeros after normalization,
punctuation) identify no one.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Collection, Iterable

from ehr_models.formats import conll
from ehr_models.formats.corpora import mtsamples_texts
from ehr_models.formats.physionet import PhiSpan, read_phi, read_records
from ehr_models.text import normalize_token, tokenize

_LOGGER = logging.getLogger(__name__)
NAME_AND_PLACE_LABELS = ("HCPName", "PTName", "RelativeProxyName", "Location")
REFERENCE_CONLL = ("BC5CDR", "NCBI-disease")


def _could_identify(token: str) -> bool:
    return len(token) > 1 and any(ch.isalpha() for ch in token)


def _dev_notes(data_dir: Path) -> tuple[dict[str, str], list[PhiSpan]]:
    dev = data_dir / "deid-physionet" / "dev"
    with open(dev / "id.text", encoding="utf-8") as handle:
        texts = {record.note_id: record.text for record in read_records(handle)}
    with open(dev / "id-phi.phrase", encoding="utf-8") as handle:
        return texts, list(read_phi(handle))


def phi_words(data_dir: Path, labels: Collection[str] | None = None) -> set[str]:
    """Normalized tokens (two characters or more, with a letter) of the gold PHI spans in ``deid-physionet/dev``;
    ``labels`` limits the PHI types (``id-phi.phrase`` names: ``HCPName``, ``Location``, ``Date``...), ``None``
    takes them all."""
    texts, spans = _dev_notes(data_dir)
    words: set[str] = set()
    for span in spans:
        if labels is None or span.label in labels:
            phrase = texts[span.note_id][span.start : span.end]
            words.update(normalize_token(t.text) for t in tokenize(phrase) if _could_identify(t.text))
    return words


def _lowercase_words(tokens: Iterable[str]) -> set[str]:
    return {normalize_token(token) for token in tokens if token.islower()}


@lru_cache(maxsize=2)
def ordinary_words(data_dir: Path) -> frozenset[str]:
    """Words written in lower case outside PHI in the corpora of ``data_dir`` (see the module doc)."""
    words: set[str] = set()
    for name in REFERENCE_CONLL:
        for path in sorted((data_dir / "biomed-ner" / name).glob("*.tsv")):
            for example in conll.read(path):
                words |= _lowercase_words(example.tokens)
    for path in sorted((data_dir / "phee").glob("*/*.txt")):
        words |= _lowercase_words(token.text for token in tokenize(path.read_text(encoding="utf-8")))
    for text in mtsamples_texts(data_dir).values():
        words |= _lowercase_words(token.text for token in tokenize(text))
    texts, spans = _dev_notes(data_dir)
    phi_by_note: dict[str, list[PhiSpan]] = {}
    for span in spans:
        phi_by_note.setdefault(span.note_id, []).append(span)
    for note_id, text in texts.items():
        phi = phi_by_note.get(note_id, [])
        words |= _lowercase_words(token.text for token in tokenize(text)
                                  if not any(s.start < token.end and token.start < s.end for s in phi))
    return frozenset(words)


def phi_vocabulary(data_dir: Path, labels: Collection[str] | None = None) -> set[str]:
    """Gold PHI words (of ``labels``) that are not ordinary words: none of them may enter a vocabulary."""
    return phi_words(data_dir, labels) - ordinary_words(data_dir)
