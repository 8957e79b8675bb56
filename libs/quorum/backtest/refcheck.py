"""Cross-check our EMA-cross backtest against backtesting.py on the same bars.

:func:`reference_ema_cross` runs the rule of :mod:`quorum.backtest.rules` in
backtesting.py (a development dependency, imported on call): EMA =
``ewm(span=N, adjust=False)`` over the closes, long at a golden cross
(``crossover``) when flat, out at a death cross, both filled at the next bar's open;
a protective stop ``STOP`` below the signal close (and optionally a take-profit
``TARGET`` above it), rounded to 7 significant digits as the engine does, filled
intrabar at ``min(stop, open)`` / ``max(target, open)``, the stop first when one bar
touches both. It trades a fraction
of equity, so the comparison is per unit of quantity. A trade still open at the end
is closed at the last close, as the engine settles it (backtesting.py's own
``finalize_trades`` would re-run the last bar and close at its *open*).

:func:`compare_trades` matches the two trade lists by entry time (both are the open
time of the bar the entry filled on) and checks, trade by trade:

* the exit time is equal — except a trade still open at the end, which backtesting.py
  stamps with the last bar's open and we with its close (``open + timeframe``);
* the net P&L per unit differs by no more than the frictions both sides paid per
  unit: our fees + slippage plus backtesting.py's commission (``tolerance``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd

from quorum.backtest.results import Trade

__all__ = [
    "Comparison",
    "ReferenceRun",
    "ReferenceTrade",
    "TradeMatch",
    "compare_trades",
    "reference_ema_cross",
    "stop_below",
    "target_above",
]


def _level(close: float, factor: Decimal) -> Decimal:
    price = Decimal(repr(float(close)))
    tick = Decimal(1).scaleb(price.adjusted() - 6)
    return (price * factor).quantize(tick)


def stop_below(close: float, stop: Decimal) -> Decimal:
    """The engine's protective stop: ``close × (1 − stop)`` on a 7-significant-digit tick."""
    return _level(close, 1 - stop)


def target_above(close: float, target: Decimal) -> Decimal:
    """The engine's take-profit: ``close × (1 + target)`` on the same tick."""
    return _level(close, 1 + target)


@dataclass(frozen=True, slots=True)
class ReferenceTrade:
    entry_time: datetime
    exit_time: datetime
    entry_price: float
    exit_price: float
    size: float
    pnl: float
    """Net of commissions."""
    commission: float
    exit_reason: str
    """``signal`` | ``stop`` | ``target`` | ``end`` (closed at the last bar)."""


@dataclass(frozen=True, slots=True)
class ReferenceRun:
    trades: tuple[ReferenceTrade, ...]
    buy_and_hold_return: float
    final_equity: float
    stats: dict[str, Any]


def _ema(values: Any, span: int) -> Any:
    return pd.Series(values).ewm(span=span, adjust=False).mean().to_numpy()


def _strategy(
    fast: int, slow: int, stop: Decimal, target: Decimal | None, size: float
) -> type[Any]:
    from backtesting import Strategy  # type: ignore[import-untyped]
    from backtesting.lib import crossover  # type: ignore[import-untyped]

    class EmaCross(Strategy):  # type: ignore[misc]
        def init(self) -> None:
            self.fast_ema = self.I(_ema, self.data.Close, fast, name=f"EMA{fast}")
            self.slow_ema = self.I(_ema, self.data.Close, slow, name=f"EMA{slow}")

        def next(self) -> None:
            if crossover(self.fast_ema, self.slow_ema) and not self.position:
                close = self.data.Close[-1]
                tp = None if target is None else float(target_above(close, target))
                self.buy(size=size, sl=float(stop_below(close, stop)), tp=tp)
            elif crossover(self.slow_ema, self.fast_ema) and self.position:
                self.position.close()

    return EmaCross


def _utc(value: Any) -> datetime:
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.to_pydatetime()


def reference_ema_cross(
    frame: pd.DataFrame,
    fast: int,
    slow: int,
    stop: Decimal,
    *,
    target: Decimal | None = None,
    fee: float,
    cash: float = 10_000.0,
    size: float = 0.5,
) -> ReferenceRun:
    """Run the EMA-cross rule in backtesting.py over ``frame`` (``Open High Low Close Volume``)."""
    import warnings

    from backtesting import Backtest

    data = frame.copy()
    data.index = pd.DatetimeIndex(data.index).tz_localize(None)
    bt = Backtest(
        data,
        _strategy(fast, slow, stop, target, size),
        cash=cash,
        commission=fee,
        spread=0.0,
        exclusive_orders=False,
        finalize_trades=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = bt.run()
    trades = []
    for row in stats["_trades"].itertuples(index=False):
        sl = float(row.SL) if pd.notna(row.SL) else None
        tp = float(row.TP) if pd.notna(row.TP) else None
        reason = "signal"
        if sl is not None and row.ExitPrice <= sl:
            reason = "stop"
        elif tp is not None and row.ExitPrice >= tp:
            reason = "target"
        trades.append(
            ReferenceTrade(
                entry_time=_utc(row.EntryTime),
                exit_time=_utc(row.ExitTime),
                entry_price=float(row.EntryPrice),
                exit_price=float(row.ExitPrice),
                size=float(row.Size),
                pnl=float(row.PnL),
                commission=float(row.Commission),
                exit_reason=reason,
            )
        )
    last_time, last_close = _utc(data.index[-1]), float(data["Close"].iloc[-1])
    for open_trade in stats["_strategy"].trades:
        units, entry = float(open_trade.size), float(open_trade.entry_price)
        commission = fee * abs(units) * (entry + last_close)
        trades.append(
            ReferenceTrade(
                entry_time=_utc(open_trade.entry_time),
                exit_time=last_time,
                entry_price=entry,
                exit_price=last_close,
                size=units,
                pnl=units * (last_close - entry) - commission,
                commission=commission,
                exit_reason="end",
            )
        )
    return ReferenceRun(
        trades=tuple(trades),
        buy_and_hold_return=float(stats["Buy & Hold Return [%]"]) / 100,
        final_equity=float(stats["Equity Final [$]"]),
        stats={k: v for k, v in stats.items() if not str(k).startswith("_")},
    )


@dataclass(frozen=True, slots=True)
class TradeMatch:
    entry_time: datetime
    ours_exit: datetime
    theirs_exit: datetime
    exit_equal: bool
    pnl_per_unit_ours: float
    pnl_per_unit_theirs: float
    difference: float
    tolerance: float

    @property
    def within(self) -> bool:
        return self.difference <= self.tolerance


@dataclass(frozen=True, slots=True)
class Comparison:
    ours: int
    theirs: int
    matches: tuple[TradeMatch, ...]
    only_ours: tuple[datetime, ...]
    only_theirs: tuple[datetime, ...]

    @property
    def exits_equal(self) -> int:
        return sum(1 for m in self.matches if m.exit_equal)

    @property
    def max_difference(self) -> float:
        return max((m.difference for m in self.matches), default=0.0)

    @property
    def max_relative_difference(self) -> float:
        """Largest ``difference / tolerance`` (≤ 1 when every P&L is within frictions)."""
        return max((m.difference / m.tolerance for m in self.matches if m.tolerance), default=0.0)

    @property
    def identical(self) -> bool:
        """Equal entries and exits, every P&L within the frictions."""
        return (
            not self.only_ours
            and not self.only_theirs
            and self.exits_equal == len(self.matches)
            and all(m.within for m in self.matches)
        )


def _exit_equal(ours: Trade, theirs: ReferenceTrade, timeframe: timedelta) -> bool:
    if ours.exit_time == theirs.exit_time:
        return True
    return theirs.exit_reason == "end" and ours.exit_time == theirs.exit_time + timeframe


def compare_trades(
    ours: Sequence[Trade], theirs: Sequence[ReferenceTrade], timeframe: timedelta
) -> Comparison:
    """Match by entry time; compare exits and per-unit net P&L (see module doc)."""
    by_entry = {t.entry_time: t for t in theirs}
    mine = {t.entry_time: t for t in ours}
    matches = []
    for when in sorted(mine.keys() & by_entry.keys()):
        a, b = mine[when], by_entry[when]
        qty = float(a.quantity)
        ours_pu = float(a.pnl) / qty
        theirs_pu = b.pnl / abs(b.size)
        tolerance = float(a.fees + a.slippage) / qty + b.commission / abs(b.size)
        matches.append(
            TradeMatch(
                entry_time=when,
                ours_exit=a.exit_time,
                theirs_exit=b.exit_time,
                exit_equal=_exit_equal(a, b, timeframe),
                pnl_per_unit_ours=ours_pu,
                pnl_per_unit_theirs=theirs_pu,
                difference=abs(ours_pu - theirs_pu),
                tolerance=tolerance + 1e-9 * max(float(a.entry_price), 1.0),
            )
        )
    return Comparison(
        ours=len(ours),
        theirs=len(theirs),
        matches=tuple(matches),
        only_ours=tuple(sorted(mine.keys() - by_entry.keys())),
        only_theirs=tuple(sorted(by_entry.keys() - mine.keys())),
    )
