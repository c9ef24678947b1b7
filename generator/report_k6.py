"""k6 summaries: p95 of http_req_duration for the API response criterion, and the load-test items from
requests, checks, the failure rate and thresholds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from generator.report_common import Finding, ReportFormat, Slot, fail, plural

FAILURE_RATE_LIMIT = 0.01  # k6 without thresholds: more than 1 % failed requests fails "performance under load"


@dataclass(frozen=True)
class K6Summary:
    p95_ms: float
    requests: Optional[int]
    failed_rate: Optional[float]
    checks_passed: Optional[int]
    checks_failed: Optional[int]
    thresholds: tuple[tuple[str, str, bool], ...]  # (metric, expression, passed)
    duration_ms: Optional[float]
    vus_max: Optional[int]
    name: str

    @property
    def api_note(self) -> str:
        over = f" over {plural(self.requests, 'request')}" if self.requests is not None else ""
        return f"k6: http_req_duration p(95) {self.p95_ms:.1f} ms{over} ({self.name})"

    @property
    def load_test_note(self) -> str:
        text = plural(self.requests, "request") if self.requests is not None else "load test run"
        if self.duration_ms is not None:
            text += f" in {self.duration_ms / 1000:.0f} s"
        if self.vus_max is not None:
            text += f", up to {plural(self.vus_max, 'VU')}"
        if self.failed_rate is not None:
            text += f", {_percent(self.failed_rate)} of requests failed"
        if self.checks_passed is not None and self.checks_failed is not None:
            text += f", checks {self.checks_passed:,}/{self.checks_passed + self.checks_failed:,} passed"
        return f"k6: {text} ({self.name})"

    @property
    def acceptable(self) -> bool:
        if self.thresholds:
            return all(ok for _, _, ok in self.thresholds)
        return self.failed_rate is not None and self.failed_rate <= FAILURE_RATE_LIMIT

    @property
    def under_load_note(self) -> str:
        rate = f"{_percent(self.failed_rate)} of requests failed" if self.failed_rate is not None else ""
        if self.thresholds:
            crossed = [f"{metric} {expr}" for metric, expr, ok in self.thresholds if not ok]
            if crossed:
                text = f"thresholds crossed: {'; '.join(crossed)}"
            else:
                text = f"all {plural(len(self.thresholds), 'threshold')} passed"
            text += f"; {rate}" if rate else ""
        else:
            text = f"no thresholds in the report; {rate} (limit {_percent(FAILURE_RATE_LIMIT)})"
        return f"k6: {text} ({self.name})"


def _percent(rate: float) -> str:
    return f"{rate * 100:.2f}%"


def parse_k6(path: Path, shown: str) -> K6Summary:
    """p95 of http_req_duration, the failure rate, checks and thresholds of a k6 summary: the file of
    `k6 run --summary-export=summary.json`, or `JSON.stringify(data)` from a `handleSummary()`."""
    from generator.jsonreport import read_json  # here: it loads the results loader

    report = read_json(path, shown)
    data = report.data
    metrics = data.get("metrics") if isinstance(data, dict) else None
    if not isinstance(metrics, dict):
        raise fail(shown, "not a k6 summary (no `metrics`); write one with "
                    "`k6 run --summary-export=summary.json script.js`")

    def values(name: str) -> Optional[dict]:
        metric = metrics.get(name)
        if not isinstance(metric, dict):
            return None
        inner = metric.get("values")  # handleSummary() data; --summary-export has the values at the top
        return inner if isinstance(inner, dict) else metric

    duration = values("http_req_duration")
    if duration is None:
        raise fail(shown, "no `http_req_duration` metric in the summary: the test made no HTTP requests")
    p95 = report.number(duration.get("p(95)"), 'metrics.http_req_duration["p(95)"]')
    if p95 is None:
        raise fail(shown, '`metrics.http_req_duration["p(95)"]` is missing; keep p(95) in '
                    "--summary-trend-stats (it is there by default)")
    failed = values("http_req_failed")
    failed_rate = None
    if failed is not None:
        failed_rate = report.number(failed.get("rate", failed.get("value")), "metrics.http_req_failed.rate", high=1)
    reqs = values("http_reqs")
    requests = report.number(reqs.get("count"), "metrics.http_reqs.count") if reqs else None
    checks = values("checks")
    passes = report.number(checks.get("passes"), "metrics.checks.passes") if checks else None
    fails = report.number(checks.get("fails"), "metrics.checks.fails") if checks else None

    thresholds: list[tuple[str, str, bool]] = []
    for name, metric in metrics.items():
        if not isinstance(metric, dict) or not isinstance(metric.get("thresholds"), dict):
            continue
        for expr, outcome in metric["thresholds"].items():
            if isinstance(outcome, dict) and isinstance(outcome.get("ok"), bool):
                thresholds.append((name, expr, outcome["ok"]))  # handleSummary(): {"ok": true} when passed
            elif isinstance(outcome, bool):
                thresholds.append((name, expr, not outcome))  # --summary-export: true means *crossed*
            else:
                raise fail(shown, f"metrics.{name}.thresholds[{expr!r}]: expected true/false or {{\"ok\": ...}}")
    if not thresholds and failed_rate is None:
        raise fail(shown, "the summary has no thresholds and no `http_req_failed` rate (k6 v0.31 or later "
                    "records it), so performance under load cannot be judged; add thresholds to the script, "
                    "or skip that item with --item under-load=-")
    state = data.get("state") if isinstance(data.get("state"), dict) else {}
    vus = values("vus_max")
    vus_max = report.number(vus.get("max", vus.get("value")), "metrics.vus_max.max") if vus else None
    return K6Summary(p95, int(requests) if requests is not None else None, failed_rate,
                     int(passes) if passes is not None else None, int(fails) if fails is not None else None,
                     tuple(thresholds), report.number(state.get("testRunDurationMs"), "state.testRunDurationMs"),
                     int(vus_max) if vus_max is not None else None, path.name)


def findings(summary: K6Summary) -> list[Finding]:
    """p95 as the API response time; the load test is done once run; under load passes on thresholds or rate."""
    return [Finding("api-response", summary.api_note, seconds=summary.p95_ms / 1000),
            Finding("load-test", summary.load_test_note, status="done"),
            Finding("under-load", summary.under_load_note, status="done" if summary.acceptable else "failed")]


FORMAT = ReportFormat(
    name="k6",
    help="A k6 summary (--summary-export): the API response criterion (p95) and the load-test items.",
    slots=(Slot("api-response", "success-criteria/performance/api-response-500ms", True),
           Slot("load-test", "testing/load-testing/load-test-conducted", False),
           Slot("under-load", "testing/load-testing/performance-under-load-acceptable", False)),
    parse=parse_k6,
    findings=findings,
)
