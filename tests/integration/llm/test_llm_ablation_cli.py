"""`quorum backtest --ablate llm`: the same window with and without the LLM opinions (#21 item 7).

Through the real CLI (Typer's CliRunner). With a loopback OpenAI-compatible provider whose
one paid model is always bearish with confidence 0.9, the opinions change decisions: the
side-by-side table lists them with the opinions that made them differ, and the arm with
the opinions paid for its calls while the other made none. The same command runs on the
bundled real data (AAPL daily, a CSV written from the installed sample data) and on
synthetic data with the offline analyst.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.integration.llm.llm_loopback import Loopback
from typer.testing import CliRunner

from apps.cli.main import app
from quorum.backtest.refdata import write_reference_csv

runner = CliRunner()
BEARISH = json.dumps(
    {"stance": "bearish", "confidence": 0.9, "key_evidence": ["x"], "rationale": "contrarian"}
)
ROWS = {"trades", "hit_rate", "expectancy", "sharpe", "max_drawdown", "llm_spend_usd"}


def _ablate(tmp: Path, *args: str) -> dict[str, Any]:
    result = runner.invoke(
        app, ["backtest", "--ablate", "llm", "--db", str(tmp / "run.sqlite"), "--json", *args]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output[result.output.index("{") :])  # type: ignore[no-any-return]


def _config(tmp: Path, loopback: Loopback) -> Path:
    roles = "\n".join(f"    {n}: fast" for n in ("technical", "patterns", "regime", "bull", "bear"))
    text = f"""agents:
  roles:
{roles}
llm:
  num_retries: 0
  budget: {{backend: memory, per_day_usd: "50"}}
  models:
    - name: contrarian
      role: fast
      model: openai/contrarian
      api_base: {loopback.base_url}
      key_ref: env:QUORUM_TEST_LLM_KEY
      context_window: 128000
      max_output_tokens: 400
      accuracy: 0.7
      price: {{input_per_mtok: "1.00", output_per_mtok: "4.00"}}
"""
    path = tmp / "quorum.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_contrarian_opinions_change_decisions_and_the_table_shows_them(
    loopback: Loopback, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    loopback.default_content = BEARISH
    monkeypatch.setenv("QUORUM_CONFIG", str(_config(tmp_path, loopback)))
    monkeypatch.setenv("QUORUM_TEST_LLM_KEY", "sk-test")  # pragma: allowlist secret
    monkeypatch.setenv("QUORUM_FLAG_LLM__ALLOW_PAID", "true")
    table = _ablate(
        tmp_path,
        *("--symbols", "BTC/USDT,ETH/USDT", "--timeframes", "15m,1h,4h"),
        *("--start", "2025-01-01T00:00:00Z", "--end", "2025-01-03T00:00:00Z"),
        *("--llm", "live", "--report", str(tmp_path / "report")),
    )
    with_llm, without = table["arms"]["with_llm"], table["arms"]["without_llm"]
    assert with_llm["trades"] > 0
    # the report of the arm with opinions: per model and per role, from the run's ledger
    report = json.loads((tmp_path / "report" / "with_llm" / "report.json").read_text())
    (row,) = report["llm"]["by_model"]
    assert row["label"] == "contrarian"
    assert row["calls"] == len(loopback.hits)
    assert float(row["spend_usd"]) == pytest.approx(float(with_llm["llm_spend_usd"]))
    assert row["trades"] == with_llm["trades"]
    assert row["opinions"] > 0
    assert row["hit_rate"] is not None
    assert row["brier"] is not None
    assert {r["label"] for r in report["llm"]["by_role"]} == {
        "technical", "patterns", "regime", "bull", "bear",
    }  # fmt: skip
    assert [h["label"] for h in report["hit_rates"]["models"]] == ["contrarian"]
    assert report["hit_rates"]["patterns"], "trades carry the patterns their score used"
    assert set(with_llm) >= ROWS
    assert with_llm["llm_calls"] == len(loopback.hits) > 0
    assert float(with_llm["llm_spend_usd"]) > 0
    assert without["llm_calls"] == 0
    assert float(without["llm_spend_usd"]) == 0
    differing = table["differing_decisions"]
    assert differing, "always-bearish opinions must change some decision"
    for d in differing:
        assert d["with_llm"]["decision"] != d["without_llm"]["decision"]
    explained = [d for d in differing if d["opinions"]]
    assert explained
    assert all("bearish 0.90 (contrarian)" in o for d in explained for o in d["opinions"])
    # bearish opinions veto longs or add shorts (the arms drift apart afterwards: a trade one
    # arm holds makes it skip an analysis the other takes)
    sides = [(d["with_llm"]["decision"], d["without_llm"]["decision"]) for d in explained]
    vetoed = [(w, wo) for w, wo in sides if wo == "long" and w != "long"]
    shorted = [(w, wo) for w, wo in sides if w == "short" and wo != "short"]
    assert vetoed or shorted


def test_ablation_runs_on_bundled_real_data_and_on_synthetic_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    csv = write_reference_csv("AAPL/USD", tmp_path / "aapl.csv")
    real = _ablate(
        tmp_path,
        *("--symbols", "AAPL/USD", "--timeframes", "1d", "--history-bars", "600"),
        *("--start", "2002-01-07T00:00:00Z", "--end", "2002-07-08T00:00:00Z"),
        *("--data", f"csv:{csv}", "--llm", "offline"),
    )
    assert real["arms"]["with_llm"]["llm_calls"] > 0
    assert real["arms"]["without_llm"]["llm_calls"] == 0
    assert real["arms"]["with_llm"]["trades"] > 0
    assert isinstance(real["differing_decisions"], list)

    (tmp_path / "synthetic").mkdir()
    synthetic = _ablate(
        tmp_path / "synthetic",
        *("--symbols", "BTC/USDT", "--timeframes", "15m,1h"),
        *("--start", "2025-01-01T00:00:00Z", "--end", "2025-01-02T12:00:00Z"),
        *("--llm", "offline"),
    )
    assert set(synthetic["arms"]["without_llm"]) >= ROWS
    assert synthetic["arms"]["with_llm"]["llm_calls"] > 0
