"""A rule strategy's exit of a position whose entry filled across a gap (issue #23 item 2).

The whole bundled GOOG daily history stopped in `quorum backtest` with a pydantic
`value_error` whose input began with `position_id`: the entry limit filled at a gapped
open just above the planned stop, and the strategy's exit built its Position with that
planned stop (0.07 % from the fill, outside the [0.1 %, 10 %] band). This file holds the
smallest such history: EMA(2) crosses above EMA(4) at 92 (stop 5 % below, 87.40), the next
bar opens at 87.4184, EMA(2) crosses back under at its close.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli.main import app

runner = CliRunner()
START = datetime(2024, 1, 1, tzinfo=UTC)


def _gapped_history(path: Path) -> Path:
    closes = [100.0 - i for i in range(12)] + [92.0]
    bars: list[tuple[float, float, float, float]] = []
    previous = closes[0]
    for close in closes:
        bars.append((previous, max(previous, close) + 0.2, min(previous, close) - 0.2, close))
        previous = close
    bars.append((87.4184, 87.4376, 87.4092, 87.4276))  # gapped open just above the stop
    close = 87.4276
    for k in range(1, 7):
        after = round(close * (1 + 0.002 * k), 4)
        bars.append((close, round(after + 0.01, 4), close, after))
        close = after
    lines = ["timestamp,open,high,low,close,volume"]
    for i, (o, h, low, c) in enumerate(bars):
        lines.append(f"{(START + timedelta(days=i)).isoformat()},{o},{h},{low},{c},1000")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_strategy_exit_of_a_gapped_entry_runs_to_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    csv = _gapped_history(tmp_path / "gapped.csv")
    db = tmp_path / "run.sqlite"
    args = ["backtest", "--symbols", "TEST/USD", "--timeframes", "1d", "--data", f"csv:{csv}"]
    args += ["--start", "2024-01-01T00:00:00Z", "--end", "2024-01-20T00:00:00Z"]
    args += ["--strategy", "ema-cross:2,4,0.05,0.5", "--llm", "offline", "--db", str(db)]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{") :])
    assert summary["trades"] >= 1
    with sqlite3.connect(db) as conn:
        first = conn.execute(
            "SELECT state, initial_stop, exit_orders FROM pipeline_trades ORDER BY opened_at"
        ).fetchone()
    state, initial_stop, exit_orders = first
    assert float(initial_stop) == pytest.approx(87.4)  # the planned stop, below the gapped fill
    assert json.loads(exit_orders), "the strategy's exit was sent for the gapped entry"
    assert state == "closed"
