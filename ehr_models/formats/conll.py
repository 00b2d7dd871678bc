"""IOB / CoNLL TSV: one ``token<TAB>tag`` a line, a blank line between sentences (BC5CDR, NCBI-disease).

Extra tab-separated columns are allowed: the first is the token, the last the tag. ``-DOCSTART-`` lines are
skipped. Tags may be BIO or BIOES; decoding is lenient (see ``ehr_models.tagging.scheme``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator, TextIO

from ehr_models.formats.examples import Example
from ehr_models.tagging.scheme import decode, encode


def parse(lines: Iterable[str], name: str = "conll") -> Iterator[Example]:
    """Yield one example per sentence; ids are ``name#N``. Raises ``ValueError`` on a line without a tag."""
    tokens: list[str] = []
    tags: list[str] = []
    number = 0
    for line_number, line in enumerate(lines, 1):
        line = line.rstrip("\r\n")
        if not line.strip() or line.startswith("-DOCSTART-"):
            if tokens:
                yield Example(f"{name}#{number}", tuple(tokens), tuple(decode(tags)))
                number += 1
                tokens, tags = [], []
            continue
        fields = line.split("\t")
        if len(fields) < 2:
            raise ValueError(f"{name}: line {line_number} has no tab-separated tag")
        tokens.append(fields[0])
        tags.append(fields[-1].strip())
    if tokens:
        yield Example(f"{name}#{number}", tuple(tokens), tuple(decode(tags)))


def read(path: Path | str) -> list[Example]:
    """All sentences of a CoNLL file; example ids are ``<file stem>#N``."""
    path = Path(path)
    with open(path, encoding="utf-8") as handle:
        return list(parse(handle, path.stem))


def write(examples: Iterable[Example], handle: TextIO, scheme: str = "BIO") -> None:
    """Write ``examples`` as ``token<TAB>tag`` lines with a blank line after each sentence."""
    for example in examples:
        for token, tag in zip(example.tokens, encode(len(example.tokens), example.spans, scheme)):
            handle.write(f"{token}\t{tag}\n")
        handle.write("\n")
