"""``write_report``: report.json and report.html into a directory, atomically per file."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from quorum.backtest.report.document import build_report, canonical_json, content_hash
from quorum.backtest.report.html import render_html
from quorum.backtest.report.metrics import compute_metrics
from quorum.backtest.results import BacktestResult

__all__ = ["HTML_NAME", "JSON_NAME", "ReportPaths", "render_report", "write_report"]

JSON_NAME = "report.json"
HTML_NAME = "report.html"


@dataclass(frozen=True, slots=True)
class ReportPaths:
    json: Path
    html: Path
    content_hash: str
    """SHA-256 (hex) of report.json's bytes."""


def render_report(result: BacktestResult) -> tuple[bytes, bytes, str]:
    """``(json_bytes, html_bytes, content_hash)`` without touching the file system."""
    metrics = compute_metrics(result)
    document = build_report(result, metrics)
    data = canonical_json(document)
    digest = content_hash(data)
    html = render_html(result, metrics, document, digest).encode("utf-8")
    return data, html, digest


def _publish(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            os.fchmod(handle.fileno(), 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report(result: BacktestResult, directory: str | os.PathLike[str]) -> ReportPaths:
    """Render everything first, then write both files (each replaced atomically)."""
    data, html, digest = render_report(result)
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    paths = ReportPaths(target / JSON_NAME, target / HTML_NAME, digest)
    _publish(paths.json, data)
    _publish(paths.html, html)
    return paths
