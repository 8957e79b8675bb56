"""`quorum run` keeps no LangGraph checkpoint of an analysis whose outcome is committed
(issue #22 item 3): the checkpoint file next to the run's database stops growing.

Before: every superstep of every analysis stayed in
``<db>.analysis-checkpoints.sqlite`` for ever (~280 KB per analysis, ~13 MB per default
run), although a committed analysis is answered from its claimed task key and never
resumed.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli.main import app

runner = CliRunner()


def _threads_and_bytes_in_use(path: Path) -> tuple[int, int]:
    """Threads held, and bytes of the file's pages in use (free pages are reused)."""
    with sqlite3.connect(path) as conn:
        threads = conn.execute("SELECT count(DISTINCT thread_id) FROM checkpoints").fetchone()
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    return int(threads[0]), int((pages - free) * size)


def test_runs_sharing_a_database_leave_no_checkpoint_of_a_committed_analysis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "shared.db"
    args = ["run", "--steps", "12", "--timeframes", "15m,1h", "--db", f"sqlite:///{db}", "--json"]
    checkpoints = tmp_path / "shared.analysis-checkpoints.sqlite"
    in_use = []
    for start in ("2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z"):
        outcome = runner.invoke(app, [*args, "--start", start])
        assert outcome.exit_code == 0, outcome.output
        summary = json.loads(outcome.output)
        graphed = sum(n for status, n in summary["analyses"].items() if status != "skipped")
        assert graphed > 0, "the window must run the analysis graph"
        threads, used = _threads_and_bytes_in_use(checkpoints)
        assert threads == 0
        in_use.append(used)
    assert in_use[1] == in_use[0] < 64 * 1024, "the file holds no analysis: it does not grow"
