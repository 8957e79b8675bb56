"""`quorum analyze` runs the deployment's `agents:` and `scoring:` from the config file.

One settings path: the same `QUORUM_CONFIG` YAML that `quorum run`, the workers and
`quorum backtest` read (see tests/integration/backtest/test_backtest_settings_overrides.py
for the backtest and its run record's settings hash). The same analysis runs with the
defaults and with a file that changes the debate, the stop/target geometry and the LLM
weight of the score; every one of those changes shows in the outcome.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from apps.cli.main import app

runner = CliRunner()
ARGS = ["analyze", "BTC/USDT", "--as-of", "2025-01-19T00:00:00Z", "--data", "synthetic", "--json"]
CONFIG = """\
agents:
  debate_rounds: 0
  atr_stop_multiple: 1.5
  reward_risk: 3
scoring:
  llm_share: 0.6
"""


def _analyze(tmp: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("QUORUM_DATABASE__URL", f"sqlite:///{tmp / name}.db")
    result = runner.invoke(app, ARGS)
    assert result.exit_code == 0, result.output
    outcome: dict[str, Any] = json.loads(result.output)
    return outcome


def _llm_share(outcome: dict[str, Any]) -> float:
    """The LLM opinions' part of the score's total weight."""
    components = outcome["score"]["components"]
    llm = sum(c["weight"] for c in components if c["name"].startswith("llm:"))
    return float(llm / sum(c["weight"] for c in components))


def test_analyze_honours_the_config_files_agents_and_scoring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    plain = _analyze(tmp_path, "plain", monkeypatch)
    config = tmp_path / "quorum.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("QUORUM_CONFIG", str(config))
    tuned = _analyze(tmp_path, "tuned", monkeypatch)

    assert [o["agent"] for o in plain["opinions"]][3:] == ["bull", "bear"]
    assert [o["agent"] for o in tuned["opinions"]] == ["technical", "patterns", "regime"]
    assert _llm_share(tuned) > _llm_share(plain) + 0.1  # scoring.llm_share 0.6 vs 0.35
    signal = tuned["signal"]
    assert signal is not None
    risk = abs(float(signal["entry"]) - float(signal["stop_loss"]))
    reward = abs(float(signal["take_profit"]) - float(signal["entry"]))
    assert reward / risk == pytest.approx(3.0, rel=1e-3)
    assert signal["stop_loss"] != plain["signal"]["stop_loss"]
