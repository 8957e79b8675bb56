"""A backtest runs the deployment's agents / scoring settings, with the spec's overrides.

Before the one composition root, `quorum backtest` wired `AgentSettings()` and
`ScoringSettings()` itself: a deployment's `agents:` / `scoring:` configuration never
reached a backtest. Here the same window runs three times through the real CLI: with the
defaults, with an `--overrides` file, and with the same values as deployment configuration
(`QUORUM_CONFIG` YAML). The non-default runs decide differently from the default one, agree
with each other, and their run records carry the settings hash that says so.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli.main import app

runner = CliRunner()
CHANGES = "agents:\n  atr_stop_multiple: 1.5\n  reward_risk: 3\nscoring:\n  llm_weight: 4.0\n"


def _backtest(tmp: Path, name: str, *extra: str) -> tuple[dict[str, object], list[object]]:
    db = tmp / f"{name}.db"
    result = runner.invoke(
        app,
        ["backtest", "--symbols", "BTC/USDT,ETH/USDT", "--timeframes", "15m,1h,4h",
         "--start", "2025-01-01T00:00:00Z", "--end", "2025-01-03T00:00:00Z",
         "--llm", "offline", "--db", str(db), "--json", *extra],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{") :])
    with sqlite3.connect(db) as conn:
        signals = conn.execute(
            "SELECT symbol, as_of, verdict, stop_loss, take_profit, score FROM pipeline_signals "
            "ORDER BY as_of, symbol"
        ).fetchall()
        (record,) = conn.execute(
            "SELECT settings_hash FROM runs WHERE run_id = ?", (summary["run_id"],)
        ).fetchall()
    assert record[0] == summary["settings_hash"]
    return summary, signals


def test_agents_and_scoring_settings_reach_the_backtest_and_its_run_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    plain, plain_signals = _backtest(tmp_path, "plain")
    assert plain_signals, "the window must produce signals"

    file = tmp_path / "overrides.yaml"
    file.write_text(CHANGES, encoding="utf-8")
    tuned, tuned_signals = _backtest(tmp_path, "tuned", "--overrides", str(file))
    assert tuned["settings_hash"] != plain["settings_hash"]
    assert tuned_signals != plain_signals, "other stops, targets and scores"

    config = tmp_path / "quorum.yaml"
    config.write_text(CHANGES, encoding="utf-8")
    monkeypatch.setenv("QUORUM_CONFIG", str(config))
    deployed, deployed_signals = _backtest(tmp_path, "deployed")
    assert deployed["settings_hash"] == tuned["settings_hash"]
    assert deployed_signals == tuned_signals


def test_an_overrides_file_with_an_unknown_key_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    file = tmp_path / "overrides.yaml"
    file.write_text("agents:\n  debate_roundz: 2\n", encoding="utf-8")
    result = runner.invoke(
        app, ["backtest", "--overrides", str(file), "--db", str(tmp_path / "x.db")]
    )
    assert result.exit_code == 2
    assert "agents.debate_roundz: unknown key" in result.output
    assert not (tmp_path / "x.db").exists()
