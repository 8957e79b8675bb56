"""The replay loop: the pipeline's task bodies driven bar by bar on a ReplayClock.

At every base-bar close (plus the finalization delay), in the order things happen in the
market: the closed bar of every symbol is fed to the :class:`ReplayVenue` (resting orders
fill at its open) and working orders are re-executed (their fills recorded); ``monitor``
moves trades from their fills (an entry filled at the open is open, a position flattened
at the open is closed) and takes the stops and targets this bar touched (from its high /
low, the entry's own bar included; filled at the level, see :mod:`quorum.backtest.venue`);
the trades follow those exits; only then are the decisions at this close taken —
``plan`` → ``scan`` → ``analyze`` → ``execute`` (or the rule strategy's signals) — so they
see the book as it stands at the close (a position flattened during the bar can be
re-entered at its close). Then ``daily_reset`` at midnight and ``refresh`` every
``refresh_every`` bars (when the spec allows learning). At the end open positions are
flattened and filled at the last close. Nothing here reads wall time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from quorum.backtest.rules import EmaCrossStrategy
from quorum.backtest.spec import BacktestSpec
from quorum.backtest.wiring import Wired
from quorum.domain import Bar, BarFrame, OrderState, format_time
from quorum.pipeline import run_task
from quorum.pipeline.accounting import equity, positions_now
from quorum.pipeline.control import flatten_all
from quorum.pipeline.driver import ReplayTally
from quorum.pipeline.lifecycle import sync_trades

WORKING = {OrderState.NEW, OrderState.ACKNOWLEDGED, OrderState.PARTIALLY_FILLED}


def replay(
    wired: Wired,
    spec: BacktestSpec,
    frames: dict[str, BarFrame],
    on_step: Callable[[int], None] | None = None,
) -> tuple[ReplayTally, list[tuple[Any, Decimal]]]:
    tasks, dispatcher, clock, venue = wired.tasks, wired.dispatcher, wired.clock, wired.venue
    deps = tasks.deps
    base = spec.base_timeframe
    delay = timedelta(seconds=deps.settings.finalization_delay_s)
    run_id = deps.run_id
    tally = ReplayTally()
    bars: dict[str, dict[Any, Bar]] = {s: {b.ts: b for b in f.bars()} for s, f in frames.items()}
    rule = None if spec.rule is None else EmaCrossStrategy(tasks, spec.rule, frames)
    curve: list[tuple[Any, Decimal]] = []

    def drain() -> None:
        dispatcher.drain(
            lambda task, kwargs: run_task(tasks, task, kwargs),
            lambda task, _kw, result: tally.record(task, result),
        )

    def execute_working() -> None:
        for order in deps.execution.orders(WORKING):
            dispatcher.submit(
                "execute", {"client_order_id": order.client_order_id}, key=order.client_order_id
            )
        drain()

    clock.set(spec.start + delay)
    tally.start = spec.start
    for step in range(1, spec.steps + 1):
        clock.advance(base.delta)
        close = clock.now() - delay
        for symbol in deps.settings.symbols:
            bar = bars[symbol].get(close - base.delta)
            if bar is not None:
                venue.feed(bar)
        execute_working()
        dispatcher.submit("monitor", {}, key=f"monitor:{run_id}:{format_time(close)}")
        drain()
        sync_trades(deps, fed_closes(wired))
        if rule is None:
            dispatcher.submit("plan", {}, key=f"plan:{run_id}:{format_time(close)}")
        else:
            for item in rule.on_close(close):
                tally.record("analyze", item)
        drain()
        if close == close.replace(hour=0, minute=0, second=0, microsecond=0):
            dispatcher.submit("daily_reset", {}, key=f"daily_reset:{run_id}:{format_time(close)}")
            drain()
        if spec.refresh and step % spec.refresh_every == 0:
            dispatcher.submit("refresh", {}, key=f"refresh:{run_id}:{format_time(close)}")
            drain()
        curve.append((close, mark_equity(wired)))
        tally.steps = step
        tally.end = close
        if on_step is not None:
            on_step(step)
    flatten_all(deps, by=deps.settings.actor, reason="end of backtest")
    for symbol in deps.settings.symbols:
        venue.settle_at_close(symbol)
    execute_working()
    dispatcher.submit("monitor", {}, key=f"monitor:{run_id}:end")
    drain()
    if spec.refresh:
        dispatcher.submit("refresh", {}, key=f"refresh:{run_id}:end")
        drain()
    if curve:
        curve[-1] = (curve[-1][0], mark_equity(wired))
    return tally, curve


def fed_closes(wired: Wired) -> dict[str, Decimal]:
    """The close of the last bar fed per symbol (the marks the monitor would use)."""
    out = {}
    for symbol in wired.tasks.deps.settings.symbols:
        bar = wired.venue.last_fed_bar(symbol)
        if bar is not None:
            out[symbol] = bar.close
    return out


def mark_equity(wired: Wired) -> Decimal:
    """Starting equity + closed trades + open positions at the last fed close."""
    deps = wired.tasks.deps
    held = positions_now(deps)
    marks = {}
    for p in held:
        bar = wired.venue.last_fed_bar(p.symbol)
        if bar is not None:
            marks[p.symbol] = bar.close
    with deps.engine.connect() as conn:
        total, _ = equity(deps, conn, held, marks)
    return total
