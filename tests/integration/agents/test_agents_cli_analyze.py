"""`quorum analyze` end to end, offline: synthetic scan → graph → Signal, journaled."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from apps.cli.commands.analyze import analyze

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("analyze")(analyze)
    app.command("version")(lambda: None)  # a second command keeps `analyze` a sub-command
    return app


def test_analyze_streams_node_events_and_prints_the_signal_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["analyze", "BTC/USDT", "--as-of", "2025-01-19T00:00:00Z", "--data", "synthetic"]
    result = runner.invoke(_app(), args)
    assert result.exit_code == 0, result.output
    lines = result.output
    for node in ("context", "prefilter", "technical", "patterns", "regime", "debate"):
        assert f"  {node}" in lines
    assert "Signal BTC/USDT 15m" in lines
    assert "top 12 components" in lines
    assert "Explanation: Bearish" in lines
    with sqlite3.connect(tmp_path / "var" / "quorum.db") as db:
        kinds = dict(db.execute("SELECT kind, count(*) FROM journal_entries GROUP BY kind"))
    assert kinds == {"scan": 1, "score": 2, "opinion": 5, "risk_decision": 1, "signal": 1}


def test_analyze_json_reports_a_prefilter_no_trade_without_llm_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["analyze", "BTC/USDT", "--as-of", "2025-01-10T00:00:00Z", "--json"]
    result = runner.invoke(_app(), args)
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    assert outcome["signal"] is None
    assert outcome["no_trade_reason"] == "no-trade: prefilter score -0.007 below 0.100"
    assert outcome["opinions"] == []
    assert [e["node"] for e in outcome["trace"]] == ["context", "prefilter", "decide"]


def test_analyze_refuses_a_non_positive_equity() -> None:
    result = runner.invoke(_app(), ["analyze", "BTC/USDT", "--equity", "-5"])
    assert result.exit_code == 2
    assert "--equity" in result.output


def test_analyze_runs_the_configured_agents_settings_and_ledgers_every_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deployment's `agents:` settings reach `quorum analyze` (no defaults of its own),
    and every model call it made is in the cost ledger when the command returns."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QUORUM_AGENTS__DEBATE_ROUNDS", "0")
    args = ["analyze", "BTC/USDT", "--as-of", "2025-01-19T00:00:00Z", "--json"]
    result = runner.invoke(_app(), args)
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    nodes = [e["node"] for e in outcome["trace"]]
    assert "technical" in nodes
    debate = [e for e in outcome["trace"] if e["node"] == "debate"]
    assert all(e["status"] == "skipped" for e in debate), debate
    with sqlite3.connect(tmp_path / "var" / "quorum.db") as db:
        (opinions,) = db.execute("SELECT count(*) FROM journal_entries WHERE kind = 'opinion'")
        (calls,) = db.execute("SELECT count(*) FROM llm_calls")
    assert opinions[0] == 3, "three analysts, no bull/bear debate"
    assert calls[0] == opinions[0]
