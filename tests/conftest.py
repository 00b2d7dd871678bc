"""Shared fixtures: real files written to temporary directories, and the shared corpora when present."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

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


def write_mixed_sources(tmp_path: Path) -> Path:
    """One directory with every supported source format, good and bad inputs among them."""
    root = tmp_path / "mixed"
    root.mkdir()
    (root / "plain.txt").write_text("Coumadin 5 mg PO qhs.\n", encoding="utf-8")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in {"ward/1.txt": b"lasix 40mg iv bid", "ward/2.txt": b"", "../x.txt": b"no"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    (root / "batch.tar.gz").write_bytes(buffer.getvalue())
    with zipfile.ZipFile(root / "letters.zip", "w") as archive:
        archive.writestr("l1.txt", "Metformin 1000 mg twice a day.")
    (root / "NOTEEVENTS.csv.gz").write_bytes(gzip.compress(
        b'ROW_ID,SUBJECT_ID,HADM_ID,CHARTDATE,CATEGORY,ISERROR,TEXT\n'
        b'11,5,50,2101-01-01,Nursing,,"KCl 20 mEq po x1\nfor K 3.3"\n'
        b'12,5,50,2101-01-01,Nursing,1,"wrong patient"\n'
        b'11,5,50,2101-01-01,Nursing,,"duplicate row id"\n'))
    (root / "extra.jsonl").write_text(json.dumps({"note_id": "j1", "text": "vanco 1 g IV q12h"}) + "\nnot json\n")
    pq.write_table(pa.table({"note_id": ["p1", "p2"], "text": ["ASA 81 mg daily", "Zofran 4 mg prn"]}),
                   root / "table.parquet", row_group_size=1)
    (root / "id.text").write_text("START_OF_RECORD=7||||3||||\nHEPARIN 5000 UNITS SC\n||||END_OF_RECORD\n")
    (root / "broken.zip").write_bytes(b"PK\x03\x04 truncated")
    return root


MIXED_NOTE_IDS = {"plain", "batch/ward/1", "letters/l1", "11", "j1", "p1", "p2", "7-3"}


@pytest.fixture()
def mixed_dir(tmp_path: Path) -> Path:
    return write_mixed_sources(tmp_path)
