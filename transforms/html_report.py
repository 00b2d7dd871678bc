"""The static HTML report of an annotate run (``OUTPUT/runs/RUN_ID.html``): one self-contained page.

It shows counts, entities per label, the most frequent medications, throughput and stage timings, and a few notes
with their entities highlighted and linked (attribute -> its medication). Notes are shown in their DE-IDENTIFIED
text only (``Note.deid``), so no PHI the de-identifier found enters the page; the medication list is built from
entity spans, which are never written when they touch PHI.
"""

from __future__ import annotations

import html
from collections import Counter

from ehr_models.annotation import LABELS

COLOURS = {"medication": "#ffd166", "dosage": "#a0e7a0", "route": "#9ad0f5", "frequency": "#f5b0d0",
           "duration": "#d0b0f5", "reason": "#f5c99a"}
_STYLE = """body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}
td.n{text-align:right}pre{white-space:pre-wrap;background:#fafafa;border:1px solid #ddd;padding:1em}
mark{border-radius:3px;padding:0 2px}mark a{color:inherit;text-decoration:none}sup{font-size:70%;color:#555}
.bar{display:inline-block;height:.8em;background:#7aa7d9}"""


def _table(header: tuple[str, ...], rows) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="n">{v}</td>' if isinstance(v, (int, float)) else
                                    f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _legend() -> str:
    return " ".join(f'<mark style="background:{COLOURS[label]}">{label}</mark>' for label in LABELS)


def highlight(sample: dict, number: int) -> str:
    """A note's de-identified text with every entity marked; an attribute links to its medication."""
    text = sample["text"]
    head_of = {tail: head for head, tail in sample.get("relations", [])}
    pieces, position = [], 0
    for entity in sorted(sample["entities"], key=lambda e: (e["start"], -e["end"])):
        if entity["start"] < position:
            continue  # overlapping spans: the first one is shown
        anchor = f"n{number}-{entity['id']}"
        label, inner = entity["label"], html.escape(text[entity["start"]:entity["end"]])
        if entity["id"] in head_of:
            inner = f'<a href="#n{number}-{head_of[entity["id"]]}">{inner}</a>'
        pieces.append(html.escape(text[position:entity["start"]]))
        pieces.append(f'<mark id="{anchor}" style="background:{COLOURS.get(label, "#eee")}" '
                      f'title="{label} {entity["id"]}">{inner}<sup>{entity["id"]}</sup></mark>')
        position = entity["end"]
    pieces.append(html.escape(text[position:]))
    return "".join(pieces)


def _links(sample: dict) -> list[tuple[str, str]]:
    by_id = {e["id"]: e for e in sample["entities"]}
    text = sample["text"]
    grouped: dict[str, list[str]] = {}
    for head, tail in sample.get("relations", []):
        if head in by_id and tail in by_id:
            t = by_id[tail]
            grouped.setdefault(head, []).append(f"{t['label']}: {' '.join(text[t['start']:t['end']].split())}")
    return [(f"{head} {' '.join(text[by_id[head]['start']:by_id[head]['end']].split())}", "; ".join(attrs))
            for head, attrs in grouped.items()]


def render(manifest: dict, medications: Counter, samples: list[dict], top: int = 20) -> str:
    """The report page for a run's ``manifest`` (``transforms.report.write_manifest``), medication counts (lower
    cased entity texts) and report samples (``transforms.annotate.sample_record``)."""
    status = manifest.get("notes_by_status", {})
    entities = manifest.get("entities_by_label", {})
    timings = manifest.get("stage_seconds", {})
    model = manifest.get("model", {})
    counts = [("notes read", manifest.get("notes_read", 0)), ("annotated", status.get("annotated", 0)),
              ("errors", status.get("error", 0)), ("skipped", manifest.get("notes_skipped", 0)),
              ("entities", sum(entities.values())), ("relations", manifest.get("relations", 0)),
              ("notes/s (pipeline)", manifest.get("notes_per_second", 0))]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>ehrbeam run {html.escape(manifest.get('run_id', ''))}</title><style>{_STYLE}</style></head><body>",
        f"<h1>ehrbeam annotate run {html.escape(manifest.get('run_id', ''))}</h1>",
        f"<p>model {html.escape(str(model.get('name', '')))} {html.escape(str(model.get('version', '')))}, "
        f"run date {html.escape(str(manifest.get('run_date', '')))}, finished "
        f"{html.escape(str(manifest.get('finished_at', '')))}, {manifest.get('elapsed_s', 0)} s</p>",
        "<h2>Counts</h2>", _table(("", "count"), counts),
        "<h2>Entities per label</h2>", _label_table(entities),
        "<h2>Top medications</h2>",
        _table(("medication", "mentions"), medications.most_common(top)),
        "<h2>Stage timings</h2>", _table(("stage", "seconds"), sorted(timings.items())),
        "<h2>Sample notes (de-identified text)</h2>", f"<p>{_legend()}</p>",
    ]
    for number, sample in enumerate(samples, 1):
        parts.append(f"<h3>{html.escape(sample['note_id'])}</h3>")
        if not sample.get("deidentified", True):
            parts.append("<p>shown as read: this run skipped de-identification (--skip_deid)</p>")
        parts.append(f"<pre>{highlight(sample, number)}</pre>")
        links = _links(sample)
        if links:
            parts.append(_table(("medication", "attributes"), links))
    parts.append("</body></html>")
    return "\n".join(parts)


def _label_table(entities: dict) -> str:
    """Entities per label with a bar proportional to the count (no scripts)."""
    most = max(entities.values(), default=0) or 1
    rows = "".join(f'<tr><td><mark style="background:{COLOURS[label]}">{label}</mark></td>'
                   f'<td class="n">{entities.get(label, 0)}</td><td><span class="bar" '
                   f'style="width:{round(200 * entities.get(label, 0) / most)}px"></span></td></tr>'
                   for label in LABELS)
    return f"<table><tr><th>label</th><th>entities</th><th></th></tr>{rows}</table>"
