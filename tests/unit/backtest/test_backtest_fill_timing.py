"""When the replay sees what: stops from the entry bar on, decisions after the bar's fills.

Hand-made daily bars through ``run_backtest`` (the real pipeline over a fresh SQLite file)
with ``ema-cross:2,4`` (5 % stop, 15 % target), no fee or slippage so every price is exact.
Opens are the previous close; ranges are ±0.5 around the body unless a case says otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from apps.cli.commands.backtest import backtest_runtime
from quorum.backtest import BacktestSpec, run_backtest
from quorum.backtest.results import Trade

T0 = datetime(2021, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
DECLINE = [110, 109, 108, 107, 106, 105, 104, 103, 102, 101, 100]
ENTRY_BAR = len(DECLINE) + 1
"""The golden cross closes bar 11 at 106; the entry fills at bar 12's open (106)."""
STOP = Decimal("100.7")  # 106 × 0.95


def ema(values: np.ndarray[Any, Any], span: int) -> np.ndarray[Any, Any]:
    """The reference EMA the strategy's recurrence must equal (pandas, adjust=False)."""
    return pd.Series(values).ewm(span=span, adjust=False).mean().to_numpy()


def _crosses(closes: Sequence[float]) -> list[tuple[int, int]]:
    values = np.array(closes, dtype="float64")
    f, s = ema(values, 2), ema(values, 4)
    out = []
    for i in range(1, len(closes)):
        if f[i - 1] < s[i - 1] and f[i] > s[i]:
            out.append((i, 1))
        elif f[i - 1] > s[i - 1] and f[i] < s[i]:
            out.append((i, -1))
    return out


def _run(
    tmp: Path,
    closes: Sequence[float],
    overrides: dict[int, tuple[float, float, float]] | None = None,
) -> tuple[Trade, ...]:
    """``overrides``: bar index → (open, high, low); the close stays ``closes[i]``."""
    rows = ["timestamp,open,high,low,close,volume"]
    for i, close in enumerate(closes):
        open_ = closes[i - 1] if i else close
        high, low = max(open_, close) + 0.5, min(open_, close) - 0.5
        if overrides and i in overrides:
            open_, high, low = overrides[i]
        ts = (T0 + i * DAY).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        rows.append(f"{ts},{open_},{high},{low},{close},1000")
    data = tmp / "bars.csv"
    data.write_text("\n".join(rows) + "\n")
    spec = BacktestSpec(
        symbols=("TEST/USD",),
        timeframes=("1d",),
        base="1d",
        start=T0,
        end=T0 + len(closes) * DAY,
        data=f"csv:{data}",
        llm="offline",
        strategy="ema-cross:2,4,0.05,0.15",
        fee=Decimal(0),
        slippage=Decimal(0),
        refresh=False,
    )
    runtime = backtest_runtime(tmp / "run.sqlite")
    try:
        return run_backtest(spec, runtime).result.trades
    finally:
        runtime.close()


def _day(i: int) -> datetime:
    return T0 + i * DAY


STOPPED = DECLINE + [106] + [105] * 10
"""One golden cross (bar 11), then flat: the trade can only end at its stop or the end."""


@pytest.mark.parametrize(
    ("overrides", "exit_bar", "exit_price"),
    [
        pytest.param({ENTRY_BAR: (106, 107, 100)}, ENTRY_BAR, STOP, id="entry-bar-touch"),
        pytest.param({ENTRY_BAR + 1: (105, 106, 100)}, ENTRY_BAR + 1, STOP, id="next-bar-touch"),
        pytest.param(
            {ENTRY_BAR + 1: (99, 105.5, 98.5)}, ENTRY_BAR + 1, Decimal(99), id="gap-fills-at-open"
        ),
        pytest.param(
            {ENTRY_BAR: (106, 125, 100)}, ENTRY_BAR, STOP, id="stop-and-target-on-entry-bar"
        ),
    ],
)
def test_stop_is_taken_from_the_entry_bar_on_at_the_touching_bar(
    tmp_path: Path,
    overrides: dict[int, tuple[float, float, float]],
    exit_bar: int,
    exit_price: Decimal,
) -> None:
    assert _crosses(STOPPED) == [(ENTRY_BAR - 1, 1)]
    (trade,) = _run(tmp_path, STOPPED, overrides)
    assert trade.entry_time == _day(ENTRY_BAR)
    assert trade.entry_price == Decimal(106)
    assert trade.exit_time == _day(exit_bar)
    assert trade.exit_price == exit_price
    assert trade.exit_reason == "stop_loss"


def test_target_touched_on_the_entry_bar_is_taken_there(tmp_path: Path) -> None:
    (trade,) = _run(tmp_path, STOPPED, {ENTRY_BAR: (106, 125, 105)})
    assert (trade.entry_time, trade.exit_time) == (_day(ENTRY_BAR), _day(ENTRY_BAR))
    assert trade.exit_price == Decimal("121.9")  # 106 × 1.15
    assert trade.exit_reason == "take_profit"


REENTRY = DECLINE + [106, 107, 108, 108, 104, 110] + [110] * 8
"""Golden cross at bar 11, death cross at bar 15 (exit at bar 16's open, which gaps up to
108 so the first trade wins and no loss cooldown applies), golden cross at bar 16's close
(re-entry at bar 17's open)."""


def test_position_closed_at_an_open_is_reentered_on_that_bars_golden_cross(
    tmp_path: Path,
) -> None:
    assert _crosses(REENTRY) == [(11, 1), (15, -1), (16, 1)]
    first, second = _run(tmp_path, REENTRY, {16: (108, 110.5, 107.5)})
    assert (first.entry_time, first.exit_time) == (_day(12), _day(16))
    assert (first.entry_price, first.exit_price) == (Decimal(106), Decimal(108))
    assert second.entry_time == _day(17)
    assert second.entry_price == Decimal(110)
    assert second.exit_reason == "end_of_run"
