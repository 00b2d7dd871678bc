"""Archive and table readers on real files the tests build, including hostile and broken ones."""

import csv
import gzip
import io
import json
import tarfile
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ehr_models.formats.archives import ArchiveLimits, iter_tar, iter_zip
from ehr_models.formats.detect import archive_stem, detect_format
from ehr_models.formats.tables import ColumnMap, MalformedRow, SkippedRow, iter_csv, iter_jsonl, iter_parquet
from ehr_models.records import CorruptInput, NoteTooLarge


def tar_bytes(members: dict[str, bytes], compression: str = "gz", extra=()) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=f"w:{compression}") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for info in extra:
            archive.addfile(info)
    return buffer.getvalue()


def test_detect_format_from_names():
    assert [detect_format(p) for p in ("a/n.txt", "x.tar.gz", "b.zip", "NOTEEVENTS.csv.gz", "n.jsonl", "t.parquet",
                                       "id.text", "note")] == [
        "text", "archive", "archive", "csv", "jsonl", "parquet", "physionet", "text"]
    assert archive_stem("batch-7.tar.gz") == "batch-7" and archive_stem("a/b.zip") == "a/b"


def test_tar_members_become_notes_and_hostile_members_errors():
    link = tarfile.TarInfo("c/link.txt")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    hard = tarfile.TarInfo("c/hard.txt")
    hard.type, hard.linkname = tarfile.LNKTYPE, "a/1.txt"
    device = tarfile.TarInfo("c/dev")
    device.type = tarfile.CHRTYPE
    data = tar_bytes({"a/1.txt": b"lasix 40 mg", "b/2.txt.gz": gzip.compress(b"asa 81 mg"),
                      "../evil.txt": b"x", "/abs.txt": b"y", ".hidden/z.txt": b"z"}, extra=(link, hard, device))
    members = list(iter_tar(io.BytesIO(data), "batch"))
    read = {m.note_id: m.data for m in members if m.error is None}
    assert read == {"batch/a/1": b"lasix 40 mg", "batch/b/2": b"asa 81 mg"}  # .hidden/ skipped
    refused = {m.path: m.error.error_type for m in members if m.error is not None}
    assert refused == dict.fromkeys(["../evil.txt", "/abs.txt", "c/link.txt", "c/hard.txt", "c/dev"],
                                    "UnsafeMember")


def test_truncated_tar_keeps_the_members_before_the_damage():
    data = tar_bytes({f"n{i}.txt": (f"note {i} " * 2000).encode() for i in range(6)})
    seen = []
    with pytest.raises(CorruptInput):
        for member in iter_tar(io.BytesIO(data[: len(data) // 2]), "t"):
            seen.append(member.note_id)
    assert seen and seen[0] == "t/n0"


def test_oversized_tar_member_is_refused_without_reading_it():
    data = tar_bytes({"big.txt": b"a" * 5000, "ok.txt": b"fine"})
    members = {m.note_id: m for m in iter_tar(io.BytesIO(data), "t", ArchiveLimits(max_member_bytes=1000))}
    assert isinstance(members["t/big"].error, NoteTooLarge) and members["t/ok"].data == b"fine"


def test_zip_reads_members_and_refuses_bombs_links_and_traversal():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("notes/1.txt", "heparin 5000 units sc q8h")
        archive.writestr("bomb.txt", b"\0" * 5_000_000)
        archive.writestr("../up.txt", "x")
        link = zipfile.ZipInfo("link.txt")
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")
    members = {m.path: m for m in iter_zip(io.BytesIO(buffer.getvalue()), "z")}
    assert members["notes/1.txt"].data == b"heparin 5000 units sc q8h"
    assert members["notes/1.txt"].note_id == "z/notes/1"
    assert "ratio" in members["bomb.txt"].error.message
    assert members["../up.txt"].error.error_type == "UnsafeMember"
    assert members["link.txt"].error.error_type == "UnsafeMember"
    with pytest.raises(CorruptInput):
        list(iter_zip(io.BytesIO(b"PK\x03\x04 this is not really a zip"), "z"))


def mimic_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["ROW_ID", "SUBJECT_ID", "HADM_ID", "CHARTDATE", "CHARTTIME", "STORETIME", "CATEGORY",
                     "DESCRIPTION", "CGID", "ISERROR", "TEXT"])
    writer.writerow([1, 10, 100, "2101-01-02", "", "", "Nursing", "Note", 5, "", "Lasix 40 mg IV.\nK 3.9, \"ok\""])
    writer.writerow([2, 10, 100, "2101-01-03", "", "", "Nursing", "Note", 5, "1", "entered in error"])
    writer.writerow([3, 11, 101, "2101-01-04", "", "", "Discharge summary", "Report", "", "", "ASA 81 mg daily"])
    return buffer.getvalue().encode() + b"4,12,102,2101-01-05,broken row\n"


def test_mimic_noteevents_columns_iserror_and_bad_rows():
    rows = list(iter_csv(io.BytesIO(gzip.decompress(gzip.compress(mimic_csv())))))
    assert rows[0].note_id == "1" and rows[0].text == 'Lasix 40 mg IV.\nK 3.9, "ok"'
    assert rows[0].meta == {"patient_id": "10", "encounter_id": "100", "note_date": "2101-01-02",
                            "category": "Nursing"}
    assert isinstance(rows[1].error, SkippedRow)
    assert rows[2].note_id == "3" and rows[2].meta["category"] == "Discharge summary"
    assert isinstance(rows[3].error, MalformedRow) and "row 4" in rows[3].error.message
    assert "broken" not in rows[3].error.message  # never the row's content


def test_generic_csv_with_configured_columns_and_legacy_encoding():
    data = "id;body;mrn\nn1;Café: Tylenol 650 mg;77\n".replace(";", ",").encode("cp1252")
    columns = ColumnMap(id="id", text="body", meta={"patient_id": "mrn"})
    (row,) = list(iter_csv(io.BytesIO(data), columns))
    assert (row.note_id, row.text, row.meta, row.encoding) == ("n1", "Café: Tylenol 650 mg", {"patient_id": "77"},
                                                               "cp1252")
    with pytest.raises(ValueError):
        ColumnMap.from_dict({"meta": {"ssn": "SSN"}})
    assert ColumnMap.from_dict(columns.to_dict()) == columns


def test_jsonl_rows_and_bad_lines():
    lines = [json.dumps({"note_id": "a", "text": "vanco 1 g"}).encode() + b"\n", b"{not json\n", b"[1,2]\n",
             json.dumps({"note_id": "b"}).encode() + b"\n"]
    rows = list(iter_jsonl(lines))
    assert rows[0].text == "vanco 1 g"
    assert [type(r.error).__name__ for r in rows[1:]] == ["MalformedRow"] * 3


def test_parquet_by_row_group(tmp_path):
    table = pa.table({"note_id": [f"n{i}" for i in range(10)], "text": [f"asa {i} mg" for i in range(10)],
                      "pid": [str(i % 3) for i in range(10)]})
    pq.write_table(table, tmp_path / "notes.parquet", row_group_size=4)
    columns = ColumnMap(meta={"patient_id": "pid"})
    with open(tmp_path / "notes.parquet", "rb") as handle:
        rows = list(iter_parquet(handle, columns, row_groups=[1]))
    assert [r.note_id for r in rows] == ["n4", "n5", "n6", "n7"] and rows[0].number == 5
    assert rows[0].meta == {"patient_id": "1"}
