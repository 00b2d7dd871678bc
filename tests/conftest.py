"""Shared fixtures: real files written to temporary directories, and the shared corpora when present."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

NURSING_NOTE = (
    "NSG NOTE: pt A&Ox3. lasix 40mg iv bid given, diuresed well. K 3.4 -> kcl 40meq po x1.\n"
    "morphine 2mg iv q2h prn pain with relief. Allergies: penicillin.\n"
)
CLINIC_NOTE = "Continue metformin 1000 mg twice a day with meals and aspirin 81 mg daily.\n"


def requires_shared_data(*parts: str):
    """Skip a test when ``../shared/data/<parts>`` is absent (a fresh clone without the corpora)."""
    path = SHARED_DATA.joinpath(*parts)
    return pytest.mark.skipif(not path.exists(), reason=f"needs {path} (shared corpora not present)")


@pytest.fixture()
def notes_dir(tmp_path: Path) -> Path:
    """A directory of note files as users have them: nested folders, gzip, a legacy encoding, and bad inputs."""
    root = tmp_path / "notes"
    (root / "a").mkdir(parents=True)
    (root / "a" / "123.txt").write_text(NURSING_NOTE, encoding="utf-8")
    (root / "nurse-7.txt").write_text(CLINIC_NOTE, encoding="utf-8")
    with gzip.open(root / "a" / "zipped.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write("Started vanco 1 gm IV q12h for MRSA.\n")
    (root / "legacy.txt").write_bytes("Café noir: Tylenol 650 mg PO q6h prn fever.\n".encode("cp1252"))
    (root / "corrupt.txt.gz").write_bytes(gzip.compress(b"heparin 5000 units sc q8h\n")[:18])  # truncated gzip
    (root / "scan.txt").write_bytes(b"%PDF-1.4\x00\x00\x01binary")
    (root / "blank.txt").write_text("  \n", encoding="utf-8")
    (root / ".DS_Store").write_bytes(b"\x00\x01")
    return root


def in_process_pipeline():
    """A TestPipeline on Beam's in-process FnApiRunner (what ``--runner=DirectRunner`` means in ehrbeam)."""
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner
    from apache_beam.testing.test_pipeline import TestPipeline

    return TestPipeline(runner=FnApiRunner())
