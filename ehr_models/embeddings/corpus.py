"""The pretraining corpus: notes -> sentences of normalized tokens, vocabulary counts, and the corpus manifest.

A corpus directory (written by ``transforms.pretrain``; any filesystem fsspec reads) holds sentence shards (one
sentence a line, tokens separated by one space: gensim's ``LineSentence`` / ``corpus_file`` format), a counts file
(``token<TAB>count`` a line, every token of the shards) and ``manifest.json``. Tokens are the project tokenizer's
(``ehr_models.text.tokenize``) within its sentence-like segments (``ehr_models.text.segments``), passed through
``ehr_models.text.normalize_token``: the same tokens and normalization the taggers use, so vocabularies agree.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from typing import Iterable, Iterator

import fsspec

from ehr_models.text import NORMALIZATION_VERSION, normalize_token, segments, tokenize

_LOGGER = logging.getLogger(__name__)
FORMAT = "ehrbeam-corpus"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SHARD_PREFIX = "sentences"
COUNTS_PREFIX = "counts"
# Fields of ``NoteStats`` in order: the Beam stage sums them element-wise.
STAT_FIELDS = ("notes", "sentences", "tokens", "characters", "digest")
_DIGEST_MODULUS = 1 << 256


def note_sentences(text: str) -> Iterator[list[str]]:
    """Yield each sentence-like segment of ``text`` as its list of normalized tokens (empty segments skipped)."""
    for start, end in segments(text):
        tokens = [normalize_token(token.text) for token in tokenize(text[start:end])]
        if tokens:
            yield tokens


def note_digest(note_id: str, text: str) -> int:
    """A 256-bit integer for one note. Input fingerprints sum these modulo 2**256: order-independent, so every
    runner and sharding gives the same fingerprint for the same notes."""
    digest = hashlib.sha256(note_id.encode("utf-8") + b"\x00" + text.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest, "big")


def fingerprint(digest_sum: int) -> str:
    return f"sha256-sum:{digest_sum % _DIGEST_MODULUS:064x}"


def note_corpus(note_id: str, text: str, original: str | None = None) -> tuple[list[str], Counter, tuple[int, ...]]:
    """Everything pretraining takes from one note's ``text`` (its de-identified text, when there is one): its
    sentence lines, its token counts, and its statistics (``STAT_FIELDS``: 1 note, sentences, tokens, characters
    of ``text``, and the digest of the input note: ``original`` when given, else ``text``)."""
    lines, counts = [], Counter()
    for tokens in note_sentences(text):
        lines.append(" ".join(tokens))
        counts.update(tokens)
    digest = note_digest(note_id, text if original is None else original)
    return lines, counts, (1, len(lines), sum(counts.values()), len(text), digest)


def format_counts(counts: Iterable[tuple[str, int]]) -> Iterator[str]:
    """Lines of a counts file, most frequent first (ties alphabetical, so the file is reproducible)."""
    for word, count in sorted(counts, key=lambda item: (-item[1], item[0])):
        yield f"{word}\t{count}"


def read_counts(paths: Iterable[str]) -> dict[str, int]:
    """Token counts from counts files (local paths or fsspec URLs); a token listed twice has its counts added."""
    counts: dict[str, int] = {}
    for path in paths:
        with fsspec.open(path, "rt", encoding="utf-8", newline="\n") as handle:
            for line in handle:
                word, _, count = line.rstrip("\n").rpartition("\t")
                counts[word] = counts.get(word, 0) + int(count)
    return counts


def corpus_manifest(stats: tuple[int, ...], shards: list[str], counts: list[str], vocab_size: int,
                    options: dict) -> dict:
    """The manifest of a corpus directory. ``shards`` and ``counts`` are file names relative to the directory
    (the directory can move); ``options`` records how the corpus was built (input, shards, de-identification)."""
    totals = dict(zip(STAT_FIELDS, stats))
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "shards": sorted(shards), "counts": sorted(counts),
        "notes": totals["notes"], "sentences": totals["sentences"], "tokens": totals["tokens"],
        "characters": totals["characters"], "vocab_size": vocab_size,
        "input_fingerprint": fingerprint(totals["digest"]),
        "normalization_version": NORMALIZATION_VERSION,
        "tokenizer": "ehr_models.text.tokenize within ehr_models.text.segments",
        "options": options,
    }


def join(directory: str, name: str) -> str:
    return f"{directory.rstrip('/')}/{name}"


def read_corpus_manifest(directory: str) -> dict:
    """The manifest of a corpus directory (local path or fsspec URL). Raises ``ValueError`` for a directory that
    is not a corpus, or whose tokens were normalized under another ``NORMALIZATION_VERSION``."""
    with fsspec.open(join(directory, MANIFEST), "rt", encoding="utf-8") as handle:
        manifest = json.load(handle)
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{directory} is not an {FORMAT} v{FORMAT_VERSION} corpus")
    if manifest["normalization_version"] != NORMALIZATION_VERSION:
        raise ValueError(f"{directory}: corpus uses token normalization v{manifest['normalization_version']}, "
                         f"this ehrbeam uses v{NORMALIZATION_VERSION}; rebuild it")
    return manifest
