"""Lighthouse JSON reports: Largest Contentful Paint for the page-load criterion, the performance score for
`Lighthouse score checked`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from generator.report_common import Finding, ReportFormat, Slot, fail


@dataclass(frozen=True)
class LighthouseSummary:
    version: str
    score: float  # 0..1
    lcp_ms: float
    tti_ms: Optional[float]
    speed_index_ms: Optional[float]
    name: str

    @property
    def page_load_note(self) -> str:
        return f"Lighthouse {self.version}: Largest Contentful Paint {self.lcp_ms / 1000:.2f} s ({self.name})"

    @property
    def score_note(self) -> str:
        extra = [f"LCP {self.lcp_ms / 1000:.1f} s"]
        if self.speed_index_ms is not None:
            extra.append(f"Speed Index {self.speed_index_ms / 1000:.1f} s")
        if self.tti_ms is not None:
            extra.append(f"TTI {self.tti_ms / 1000:.1f} s")
        return (f"Lighthouse {self.version}: performance score {round(self.score * 100)}/100; "
                f"{', '.join(extra)} ({self.name})")


def parse_lighthouse(path: Path, shown: str) -> LighthouseSummary:
    """The performance score and timings of a Lighthouse JSON report (`lighthouse URL --output=json`,
    Lighthouse CI's lhr files, or a PageSpeed Insights response holding `lighthouseResult`)."""
    from generator.jsonreport import read_json  # here: it loads the results loader

    report = read_json(path, shown)
    data = report.data
    lhr = data.get("lighthouseResult", data) if isinstance(data, dict) else None
    if not isinstance(lhr, dict) or not isinstance(lhr.get("audits"), dict) \
            or not isinstance(lhr.get("categories"), dict):
        raise fail(shown, "not a Lighthouse JSON report (no `audits` and `categories`); "
                    "write one with `lighthouse URL --output=json --output-path=report.json`")
    error = lhr.get("runtimeError")
    if isinstance(error, dict) and error.get("code") not in (None, "NO_ERROR"):
        raise fail(shown, f"Lighthouse could not test the page: {error.get('message') or error.get('code')}")
    audits = lhr["audits"]

    def timing(audit_id: str) -> Optional[float]:
        audit = audits.get(audit_id)
        return report.number(audit.get("numericValue"), f'audits["{audit_id}"].numericValue') \
            if isinstance(audit, dict) else None

    lcp = timing("largest-contentful-paint")
    if lcp is None:
        audit = audits.get("largest-contentful-paint")
        why = f" ({audit['errorMessage']})" if isinstance(audit, dict) and audit.get("errorMessage") else ""
        raise fail(shown, f'no `audits["largest-contentful-paint"].numericValue` in the report{why}; '
                    "run Lighthouse with the performance category")
    performance = lhr["categories"].get("performance")
    score = report.number(performance.get("score"), "categories.performance.score", high=1) \
        if isinstance(performance, dict) else None
    if score is None:
        raise fail(shown, "no `categories.performance.score` in the report; run Lighthouse with the "
                    "performance category (a score of null means the run failed)")
    version = lhr.get("lighthouseVersion")
    return LighthouseSummary(str(version) if isinstance(version, str) else "(unknown version)", score, lcp,
                             timing("interactive"), timing("speed-index"), path.name)


def findings(summary: LighthouseSummary) -> list[Finding]:
    """LCP as the page-load time; the score item is done once a report exists (the score is in the note)."""
    return [Finding("page-load", summary.page_load_note, seconds=summary.lcp_ms / 1000),
            Finding("lighthouse-score", summary.score_note, status="done")]


FORMAT = ReportFormat(
    name="lighthouse",
    help="A Lighthouse JSON report: the page-load criterion (LCP) and `Lighthouse score checked`.",
    slots=(Slot("page-load", "success-criteria/performance/page-load-3-seconds", True),
           Slot("lighthouse-score", "frontend/performance/lighthouse-score-checked", False)),
    parse=parse_lighthouse,
    findings=findings,
)
