"""Look up the text of a selected gold note in ``../shared/data`` and validate annotation files.

    python gold/medication/notes.py show mtsamples 123          # print a note's text
    python gold/medication/notes.py check gold/medication/*.jsonl  # validate annotations against the texts
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ehr_models.formats.corpora import corpus_texts  # noqa: E402
from ehr_models.formats.medication_json import check_against_text, read_annotations  # noqa: E402


@lru_cache(maxsize=None)
def _texts(source: str) -> dict[str, str]:
    return corpus_texts(source)


def note_text(source: str, note_id: str) -> str:
    return _texts(source)[note_id]


def main(argv: list[str]) -> int:
    if argv[:1] == ["show"]:
        sys.stdout.write(note_text(argv[1], argv[2]))
        return 0
    if argv[:1] == ["check"]:
        total, problems = 0, []
        for note in read_annotations(Path(p) for p in argv[1:]):
            total += 1
            problems += check_against_text(note, note_text(note.source, note.note_id))
        print("\n".join(problems) or f"{total} notes OK")
        return 1 if problems else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
