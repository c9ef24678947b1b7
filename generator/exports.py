"""Machine-readable shapes of an evaluation: the `status --json` object, per-release JSON and CSV rows."""

from __future__ import annotations

import csv
import io
import json
from typing import Optional

from generator.analyse import Comparison, carried, carried_from
from generator.model import Evaluation, ItemResult


def status_json(e: Evaluation) -> dict:
    """The object `readiness status --json` prints (DESIGN.md's exact shape)."""
    return {
        "release": e.release.name,
        "checklist": e.checklist.name,
        "verdict": e.verdict,
        "progress": e.progress,
        "counts": e.counts.as_dict(),
        "blocking": list(e.blocking),
        "unsigned": list(e.unsigned),
        "signoffs": {
            role: ({"name": s.name, "date": s.date.isoformat()} if s else None) for role, s in e.signoffs.items()
        },
    }


def _item(r: ItemResult) -> dict:
    own, entry = r.own, r.entry
    out = {
        "id": r.item.id,
        "section": r.item.ancestors[0],
        "text": r.item.plain,
        "status": r.status,
    }
    if entry is not None and entry.target != r.item.id:  # inherited from a section's or group's entry
        out["from"] = entry.target
    for field in ("by", "date", "evidence", "note", "reason", "approved_by", "expires"):
        value = getattr(own, field, None) if own else None
        if value is None and entry is not None and field in ("reason", "approved_by", "expires"):
            value = getattr(entry, field)
        if value is not None:  # a field with no value is left out: long exports without a null per field
            out[field] = value.isoformat() if hasattr(value, "isoformat") else value
    if r.item.criterion:
        c = r.item.criterion
        out["criterion"] = {"op": c.op, "threshold": c.threshold, "unit": c.unit,
                            "value": own.value if own else None}
    if r.status == "waived":
        out["expired"] = r.expired
    source = carried_from(r)
    if source is not None:
        out["carried_from"] = source
    return out


def item_rows(e: Evaluation) -> list[dict]:
    """Each item of a release as data, the rows of both its JSON and its CSV export."""
    return [_item(r) for r in e.results]


def release_json(e: Evaluation, items: Optional[list[dict]] = None) -> dict:
    """Everything on a release page as data: status, items, launch and the source file's hash."""
    launch = e.release.launch
    data = status_json(e)
    data.update(
        evaluated_on=e.evaluated_on.isoformat(),
        source={"path": e.release.path, "sha256": e.release.sha256},
        checklist_source={"path": e.checklist.path, "sha256": e.checklist.sha256},
        launch=None if launch is None else {
            "date": launch.date.isoformat() if launch.date else None,
            "time": launch.time, "timezone": launch.timezone,
            "deployed_by": launch.deployed_by, "notes": launch.notes,
        },
        items=item_rows(e) if items is None else items,
    )
    return data


def releases_json(evaluations: list[Evaluation]) -> list[dict]:
    """One summary per release, oldest first."""
    return [
        dict(status_json(e), launch_date=e.release.launch.date.isoformat() if e.launched else None,
             sha256=e.release.sha256)
        for e in evaluations
    ]


RELEASES_CSV = ("release", "checklist", "verdict", "progress", "total", "done", "failed", "pending", "na", "waived",
                "launch_date", "signed", "roles", "sha256")


def releases_csv(evaluations: list[Evaluation]) -> str:
    """The releases table for spreadsheets: one row per release."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(RELEASES_CSV)
    for e in evaluations:
        c = e.counts
        writer.writerow([
            e.release.name, e.checklist.name, e.verdict, f"{e.progress:.1f}", c.total, c.done, c.failed, c.pending,
            c.na, c.waived, e.release.launch.date.isoformat() if e.launched else "",
            len(e.signoffs) - len(e.unsigned), len(e.signoffs), e.release.sha256,
        ])
    return buf.getvalue()


ITEMS_CSV = ("id", "section", "text", "status", "by", "date", "evidence", "note", "reason", "approved_by", "expires",
             "carried_from", "value")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A CSV cell that a spreadsheet shows as text: a leading = + - @ would otherwise start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def release_csv(e: Evaluation, items: Optional[list[dict]] = None) -> str:
    """One row per item of a release, for spreadsheets."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(ITEMS_CSV)
    fields = ITEMS_CSV[:-1]
    for row in item_rows(e) if items is None else items:
        value = row["criterion"]["value"] if "criterion" in row else None
        writer.writerow([_cell(row.get(k)) for k in fields] + [_cell(value)])
    return buf.getvalue()


def compare_json(c: Comparison) -> dict:
    """The object `readiness compare A B --json` prints; the /compare/ page computes the same from data files."""
    def side(e: Evaluation) -> dict:
        return {"release": e.release.name, "checklist": e.checklist.name, "verdict": e.verdict,
                "progress": e.progress, "counts": e.counts.as_dict(), "unsigned": list(e.unsigned),
                "carried_over": {source: len(items) for source, items in carried(e).items()}}

    return {
        "from": side(c.a),
        "to": side(c.b),
        "changes": [{"kind": x.kind, "item": x.item, "text": x.text, "before": x.before, "after": x.after,
                     "carried_from": x.carried_from} for x in c.diff.changes],
        "signoffs": [{"role": role, "before": before, "after": after} for role, before, after in c.signoffs],
    }


def _trimmed(row: list) -> list:
    while row and row[-1] in (None, 0):
        row.pop()
    return row


def release_script(e: Evaluation) -> str:
    """`data/releases/<release>.js`: what the /compare/ page needs of a release, as a script it loads with
    <script src> (a page opened from file:// may not fetch() its own JSON). Each item is
    [id, text, status, measured value as shown, carried_from, 1 if a criterion], without the trailing ones that
    are null or 0 (most items have none of the last three: a long history's files are a tenth smaller)."""
    data = {
        "release": e.release.name, "checklist": e.checklist.name, "verdict": e.verdict, "progress": e.progress,
        "counts": e.counts.as_dict(), "unsigned": list(e.unsigned),
        "carried_over": {source: len(items) for source, items in carried(e).items()},
        "signoffs": {role: (f"{s.name}, {s.date.isoformat()}" if s else None) for role, s in e.signoffs.items()},
        "items": [_trimmed([r.item.id, r.item.plain, r.status, r.measured, carried_from(r),
                            1 if r.item.criterion else 0]) for r in e.results],
    }
    # ASCII only, so no character of the data can end the script or be read differently by the browser.
    body = json.dumps(data, ensure_ascii=True, separators=(",", ":")).replace("<", "\\u003c")
    return f"(window.readinessReleases = window.readinessReleases || {{}})[{json.dumps(e.release.name)}] = {body};\n"


def dumps_compact(data) -> str:
    """JSON without indentation: the C encoder does it, many times faster (one file per release)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def dumps(data) -> str:
    """Stable JSON text: sorted keys would reorder the documented shape, so insertion order is kept."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def findings_json(findings, releases: int) -> dict:
    """The object `readiness audit --json` prints."""
    return {"findings": [f.as_json() for f in findings], "releases": releases}
