"""Backtest report: pure metrics, a canonical JSON document and a self-contained HTML page.

``write_report(result, directory)`` writes ``report.json`` and ``report.html`` and
returns their paths with the SHA-256 of the JSON bytes (same result ⇒ same bytes).
"""

from quorum.backtest.report.document import (
    REPORT_FORMAT,
    build_report,
    canonical_json,
    content_hash,
    leakage_warning,
)
from quorum.backtest.report.metrics import Metrics, compute_metrics
from quorum.backtest.report.writer import ReportPaths, render_report, write_report

__all__ = [
    "REPORT_FORMAT",
    "Metrics",
    "ReportPaths",
    "build_report",
    "canonical_json",
    "compute_metrics",
    "content_hash",
    "leakage_warning",
    "render_report",
    "write_report",
]
