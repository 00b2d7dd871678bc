"""The run summary, computed from the written datasets (exact on every runner, unlike best-effort metrics)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import datetime
import json

import fsspec
import pyarrow.dataset as ds

from ehr_models import __version__
from ehr_models.annotation import LABELS


@dataclass
class RunSummary:
    output: str
    notes_by_status: Counter = field(default_factory=Counter)
    entities_by_label: Counter = field(default_factory=Counter)
    relations: int = 0
    phi_by_label: Counter = field(default_factory=Counter)
    errors_by_stage: Counter = field(default_factory=Counter)
    input_errors: int = 0  # error rows with no note id: inputs that failed before any note was read
    elapsed_s: float = 0.0
    # Notes an incremental run left alone (already annotated by this model version, or before --since): they
    # have no notes/ row in this run, but were read.
    skipped_by_reason: Counter = field(default_factory=Counter)

    @property
    def notes_read(self) -> int:
        return sum(self.notes_by_status.values()) + sum(self.skipped_by_reason.values())

    @property
    def notes_skipped(self) -> int:
        return self.notes_by_status.get("skipped", 0) + sum(self.skipped_by_reason.values())

    def to_dict(self) -> dict:
        return {
            "output": self.output, "notes_read": self.notes_read, "notes_by_status": dict(self.notes_by_status),
            "entities_by_label": {label: self.entities_by_label.get(label, 0) for label in LABELS},
            "relations": self.relations, "phi_by_label": dict(self.phi_by_label),
            "errors_by_stage": dict(self.errors_by_stage),
            "input_errors": self.input_errors, "elapsed_s": round(self.elapsed_s, 2),
            "notes_skipped": self.notes_skipped, "skipped_by_reason": dict(self.skipped_by_reason),
        }


def _column(output: str, name: str, column: str) -> list:
    fs, root = fsspec.core.url_to_fs(output)
    path = f"{root.rstrip('/')}/{name}"
    if not fs.exists(path):
        return []
    return ds.dataset(path, format="parquet", filesystem=fs).to_table(columns=[column]).column(column).to_pylist()


def summarize(output: str, elapsed_s: float = 0.0) -> RunSummary:
    errors = list(zip(_column(output, "errors", "stage"), _column(output, "errors", "note_id")))
    return RunSummary(
        output=output,
        notes_by_status=Counter(_column(output, "notes", "status")),
        entities_by_label=Counter(_column(output, "entities", "label")),
        relations=len(_column(output, "relations", "note_id")),
        phi_by_label=Counter(_column(output, "phi", "label")),
        errors_by_stage=Counter(stage for stage, _ in errors),
        input_errors=sum(1 for _, note_id in errors if note_id is None),
        elapsed_s=elapsed_s,
        skipped_by_reason=Counter(_column(output, "skipped", "reason")),
    )


def format_summary(summary: RunSummary, run_id: str, job: str = "annotate") -> str:
    """The lines a person reads at the end of a run (counts and ids only)."""
    status = summary.notes_by_status
    errors = sum(summary.errors_by_stage.values())
    by_stage = ", ".join(f"{stage} {count}" for stage, count in sorted(summary.errors_by_stage.items()))
    done = status.get("annotated", 0) + status.get("deidentified", 0)
    lines = [
        f"ehrbeam {job}: run {run_id} finished in {summary.elapsed_s:.1f} s",
        f"  output     {summary.output}/{{{','.join(_datasets(job))}}}/",
        f"  notes      {summary.notes_read} read: {done} {'annotated' if job == 'annotate' else 'de-identified'}, "
        f"{status.get('error', 0)} errors, {summary.notes_skipped} skipped"
        + (f" ({summary.skipped_by_reason.get('already_annotated', 0)} already annotated by this model version)"
           if summary.skipped_by_reason else ""),
    ]
    if job == "annotate":
        labels = ", ".join(f"{label} {summary.entities_by_label.get(label, 0)}" for label in LABELS)
        lines += [f"  entities   {sum(summary.entities_by_label.values())}: {labels}",
                  f"  relations  {summary.relations}"]
    else:
        labels = ", ".join(f"{label} {count}" for label, count in sorted(summary.phi_by_label.items()))
        lines.append(f"  phi        {sum(summary.phi_by_label.values())}" + (f": {labels}" if labels else ""))
    lines.append(f"  errors     {errors}" + (f" ({by_stage}; {summary.input_errors} inputs unreadable)" if errors
                                             else ""))
    return "\n".join(lines)


def _datasets(job: str) -> tuple[str, ...]:
    return ("entities", "relations", "notes", "errors") if job == "annotate" else ("notes", "phi", "errors")


def write_manifest(output: str, run_id: str, job: str, summary: RunSummary, options: dict,
                   components: dict, extra: dict | None = None) -> str:
    """Write ``OUTPUT/runs/RUN_ID.json``: what ran (job, version, components, options, and ``extra``: model,
    stage timings...) and what came out (the summary's counts). Returns its path. Carries ids and counts only."""
    manifest = {
        "run_id": run_id, "job": job, "ehrbeam_version": __version__,
        "finished_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "components": components, "options": options, **summary.to_dict(), **(extra or {}),
    }
    return write_run_file(output, f"{run_id}.json", json.dumps(manifest, indent=2, sort_keys=True, default=str))


def write_run_file(output: str, name: str, content: str) -> str:
    """Write ``OUTPUT/runs/NAME`` (a manifest or an HTML report); returns its path."""
    path = f"{output.rstrip('/')}/runs/{name}"
    fs, local = fsspec.core.url_to_fs(path)
    fs.makedirs(local.rsplit("/", 1)[0], exist_ok=True)
    with fs.open(local, "w", encoding="utf-8") as handle:
        handle.write(content)
    return path
