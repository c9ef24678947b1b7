"""The report formats `readiness record` reads, in the order of its options; a new format is one module here."""

from __future__ import annotations

from generator import report_junit, report_k6, report_lighthouse
from generator.report_common import ReportFormat

REPORTS: tuple[ReportFormat, ...] = (report_junit.FORMAT, report_lighthouse.FORMAT, report_k6.FORMAT)
