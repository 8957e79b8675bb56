"""`quorum run` honours the analysis.enabled feature flag: off, nothing is scanned or traded."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from apps.cli.main import app

runner = CliRunner()
ARGS = ["run", "--steps", "8", "--symbols", "BTC/USDT,ETH/USDT", "--json"]


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, enabled: str | None) -> dict[str, Any]:
    workdir = tmp_path / f"analysis-{enabled}"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    if enabled is None:
        monkeypatch.delenv("QUORUM_FLAG_ANALYSIS__ENABLED", raising=False)
    else:
        monkeypatch.setenv("QUORUM_FLAG_ANALYSIS__ENABLED", enabled)
    result = runner.invoke(app, ARGS)
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.output)
    summary["_db"] = workdir / summary["database"].removeprefix("sqlite:///")
    return summary


def _paused_entries(summary: dict[str, Any]) -> list[dict[str, Any]]:
    with sqlite3.connect(summary["_db"]) as db:
        rows = db.execute(
            "SELECT payload FROM journal_entries WHERE run_id = ? AND kind = 'flag_change'",
            (summary["run_id"],),
        ).fetchall()
    return [json.loads(payload) for (payload,) in rows]


def test_run_with_analysis_disabled_scans_analyses_and_trades_nothing_that_it_would_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on = _run(tmp_path, monkeypatch, None)
    off = _run(tmp_path, monkeypatch, "false")

    # the same run with the flag on (its default) scans, analyses and trades
    assert on["bars_scanned"] > 0
    assert sum(on["analyses"].values()) > 0
    assert on["signals"] > 0
    assert on["orders"]["total"] > 0
    assert on["analysis_disabled"] == {
        "plans": 0,
        "scans_skipped": 0,
        "candidates_skipped": 0,
        "analyses_skipped": 0,
    }
    assert _paused_entries(on) == []

    # off: every plan ran and held its due scans back; nothing downstream happened
    assert off["tasks"]["plan"] == 8
    assert "scan" not in off["tasks"]
    assert "analyze" not in off["tasks"]
    assert off["bars_scanned"] == off["candidates"] == 0
    assert off["analyses"] == {}
    assert off["signals"] == 0
    assert off["orders"]["total"] == 0
    assert off["fills"] == 0
    assert off["llm"]["calls"] == 0
    assert off["analysis_disabled"]["plans"] == 8
    assert off["analysis_disabled"]["scans_skipped"] > 0
    # the pause is journaled once (the flag is pinned: one version), not once per plan
    (entry,) = _paused_entries(off)
    assert entry["event"] == "analysis_paused"
    assert entry["name"] == "analysis.enabled"
    assert entry["value"] is False
    assert entry["skipped_scans"] > 0
    assert off["journal"]["verified"] is True
