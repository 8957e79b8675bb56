"""Runs never share analyses: each `quorum run` has its own id and its own checkpoints.

On main before this test, a second `quorum run --db other.db` over the same data in the
same working directory got the same run id (`run-<start>-1`, the journal size of a fresh
database + 1) and resumed the first run's finished LangGraph threads from the shared
`var/analysis-checkpoints.sqlite`: orders and fills with no LLM call, and no opinion,
signal or risk decision in its journal (issue #19 item 1).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli.main import app

runner = CliRunner()
ARGS = ["run", "--symbols", "BTC/USDT", "--timeframes", "15m,1h,4h", "--steps", "96", "--json"]


def _run(tmp: Path, name: str) -> tuple[dict[str, object], dict[str, int]]:
    db = tmp / f"{name}.db"
    result = runner.invoke(app, [*ARGS, "--db", f"sqlite:///{db}"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{") :])
    with sqlite3.connect(db) as conn:
        kinds = dict(
            conn.execute(
                "SELECT kind, count(*) FROM journal_entries WHERE run_id = ? GROUP BY kind",
                (summary["run_id"],),
            ).fetchall()
        )
        recorded = conn.execute(
            "SELECT run_id, mode, status FROM runs WHERE run_id = ?", (summary["run_id"],)
        ).fetchall()
    assert recorded == [(summary["run_id"], "replay", "completed")]
    journal = summary["journal"]
    assert isinstance(journal, dict)
    assert journal["verified"] is True
    assert str(journal["orders_explained"]).startswith("every order explained")
    return summary, kinds


def test_two_runs_on_two_databases_in_one_directory_each_analyse_for_themselves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first, first_kinds = _run(tmp_path, "a")
    second, second_kinds = _run(tmp_path, "b")
    assert first["run_id"] != second["run_id"]
    assert first_kinds.get("opinion", 0) > 0
    assert second_kinds.get("opinion", 0) == first_kinds["opinion"], "analysed again, not resumed"
    assert second_kinds.get("risk_decision", 0) == first_kinds.get("risk_decision", 0)
    llm = second["llm"]
    assert isinstance(llm, dict)
    assert llm["calls"] > 0
    assert not (tmp_path / "var" / "analysis-checkpoints.sqlite").exists(), (
        "checkpoints live with the run's database, not in the working directory"
    )
