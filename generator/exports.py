"""Machine-readable shapes of an evaluation: the `status --json` object, per-release JSON and CSV rows, and
each checklist revision's items, which every release evaluated against it shares instead of repeating."""

from __future__ import annotations

import csv
import io
import json
from typing import Optional

from generator.analyse import Comparison, carried, carried_from
from generator.model import Checklist, Evaluation, Item, ItemResult


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


def checklist_export(c: Checklist) -> str:
    """A checklist revision's items export under data/, without extension: its name and full hash, so two
    revisions never share a file (a hash prefix could be forged to collide)."""
    return f"checklists/{c.name}/{c.sha256}"


def _checklist_item(i: Item) -> dict:
    out = {"id": i.id, "section": i.ancestors[0], "text": i.plain}
    if i.criterion:
        out["criterion"] = {"op": i.criterion.op, "threshold": i.criterion.threshold, "unit": i.criterion.unit}
    return out


def checklist_json(c: Checklist) -> dict:
    """`data/checklists/<name>/<sha256>.json`: each item's id, section, text and criterion, in checklist order."""
    return {"checklist": c.name, "path": c.path, "sha256": c.sha256, "items": [_checklist_item(i) for i in c.items]}


def checklist_script(c: Checklist) -> str:
    """`data/checklists/<name>/<sha256>.js`: the items as the /compare/ page reads them, [id, text] and a 1 for
    a criterion, loaded with <script src> once for every release evaluated against this revision."""
    items = [[i.id, i.plain, 1] if i.criterion else [i.id, i.plain] for i in c.items]
    return _script("readinessChecklists", checklist_export(c), items)


def _script(registry: str, key: str, data) -> str:
    # ASCII only, so no character of the data can end the script or be read differently by the browser.
    body = json.dumps(data, ensure_ascii=True, separators=(",", ":")).replace("<", "\\u003c")
    return f"(window.{registry} = window.{registry} || {{}})[{json.dumps(key, ensure_ascii=True)}] = {body};\n"


def _item(r: ItemResult) -> dict:
    own, entry = r.own, r.entry
    out = {"id": r.item.id, "status": r.status}
    if entry is not None and entry.target != r.item.id:  # inherited from a section's or group's entry
        out["from"] = entry.target
    for field in ("by", "date", "evidence", "note", "reason", "approved_by", "expires"):
        value = getattr(own, field, None) if own else None
        if value is None and entry is not None and field in ("reason", "approved_by", "expires"):
            value = getattr(entry, field)
        if value is not None:  # a field with no value is left out: long exports without a null per field
            out[field] = value.isoformat() if hasattr(value, "isoformat") else value
    if r.item.criterion and own is not None and own.value is not None:
        out["value"] = own.value
    if r.status == "waived":
        out["expired"] = r.expired
    source = carried_from(r)
    if source is not None:
        out["carried_from"] = source
    return out


def item_rows(e: Evaluation) -> list[dict]:
    """Each item of a release as data, the rows of both its JSON and its CSV export (which adds each item's
    section and text from the checklist: the JSON leaves them to the checklist's own export)."""
    return [_item(r) for r in e.results]


def release_json(e: Evaluation, items: Optional[list[dict]] = None) -> dict:
    """Everything on a release page as data: status, items, launch and the source file's hash."""
    launch = e.release.launch
    data = status_json(e)
    data.update(
        evaluated_on=e.evaluated_on.isoformat(),
        source={"path": e.release.path, "sha256": e.release.sha256},
        checklist_source={"path": e.checklist.path, "sha256": e.checklist.sha256,
                          "items": f"data/{checklist_export(e.checklist)}.json"},
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
_FORMULA_START = "=+-@\t\r"


def _cell(value) -> str:
    """A CSV cell that a spreadsheet shows as text: a leading = + - @ would otherwise start a formula."""
    if value is None:
        return ""
    text = value if type(value) is str else str(value)
    return "'" + text if text and text[0] in _FORMULA_START else text


def release_csv(e: Evaluation, items: Optional[list[dict]] = None) -> str:
    """One row per item of a release, for spreadsheets."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(ITEMS_CSV)
    recorded = ITEMS_CSV[3:]  # after id, section and text, which come from the checklist
    for r, row in zip(e.results, item_rows(e) if items is None else items):
        cells = [row["id"], r.item.ancestors[0], r.item.plain]
        cells += [row.get(k) for k in recorded]
        writer.writerow([_cell(v) for v in cells])
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
    <script src> (a page opened from file:// may not fetch() its own JSON). Each item is [status, measured value
    as shown, carried_from] in the order of the checklist revision's script (`checklist_items`, which has the
    ids and texts), without the trailing ones that are null: most items have neither."""
    data = {
        "release": e.release.name, "checklist": e.checklist.name, "checklist_items": checklist_export(e.checklist),
        "verdict": e.verdict, "progress": e.progress,
        "counts": e.counts.as_dict(), "unsigned": list(e.unsigned),
        "carried_over": {source: len(items) for source, items in carried(e).items()},
        "signoffs": {role: (f"{s.name}, {s.date.isoformat()}" if s else None) for role, s in e.signoffs.items()},
        "items": [_trimmed([r.status, r.measured, carried_from(r)]) for r in e.results],
    }
    return _script("readinessReleases", e.release.name, data)


def dumps_compact(data) -> str:
    """JSON without indentation: the C encoder does it, many times faster (one file per release)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def dumps(data) -> str:
    """Stable JSON text: sorted keys would reorder the documented shape, so insertion order is kept."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def findings_json(findings, releases: int) -> dict:
    """The object `readiness audit --json` prints."""
    return {"findings": [f.as_json() for f in findings], "releases": releases}
