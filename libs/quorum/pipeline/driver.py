"""The one bar driver: the pipeline replayed bar by bar on a ReplayClock, with the same task
bodies the Celery workers call. ``quorum run`` and ``quorum backtest`` both drive it.

One event order at every base-bar close ``T`` (the clock stands at ``T`` plus the
finalization delay), chosen to follow the market:

1. **Fills.** The bar that closed at ``T`` is fed to the replay venue for every symbol:
   orders resting since an earlier close fill at its open (market) or inside its range
   (limits, and the position's resting protective stop / take-profit, stop first on a
   tie; :mod:`quorum.pipeline.protection` places them when the entry's fill is executed).
2. **Execute.** Every working order is executed again, so our books record those fills;
   then ``sweep`` re-submits orders left ``new`` / ``unknown`` when their backoff is due
   and expires stale entries (the same body beat runs as ``quorum.sweep`` in a
   deployment; :mod:`quorum.pipeline.sweep_task`).
3. **Monitor.** ``monitor`` moves trades from their fills (pending → open → closed) and
   runs the risk monitor on the closed bar (stops, trailing, breakeven, account rules);
   its exits are executed and the trades follow them.
4. **Decide.** ``plan`` → ``scan`` → ``analyze`` → ``execute`` for the agents, or the rule
   strategy's proposals through the same decision-commit path: decisions at ``T`` see the
   book as it stands at ``T``, and what they send rests until the next bar. The scans
   ``plan`` submits are run as one batch (``PipelineTasks.scan_many``): their claims,
   journal entries and scan marks are ONE transaction per base bar.
5. **Housekeeping.** ``daily_reset`` at 00:00 UTC; ``refresh`` every ``refresh_every`` bars.
6. **Observe.** ``on_step`` (progress, the backtest's equity mark).

At the end open positions are flattened, filled at the last close, and monitored once
more. Nothing here reads wall time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from quorum.clock import ReplayClock
from quorum.domain import Bar, OrderState, format_time
from quorum.execution import ReplayVenue
from quorum.pipeline.analysis_gate import DISABLED
from quorum.pipeline.budget import CAPPED
from quorum.pipeline.control import flatten_all
from quorum.pipeline.deps import JSON
from quorum.pipeline.embedded import EmbeddedDispatcher, run_task
from quorum.pipeline.lifecycle import sync_trades
from quorum.pipeline.strategy_runner import StrategyRunner
from quorum.pipeline.tasks import PipelineTasks
from quorum.strategies import RuleStrategy

WORKING = {OrderState.NEW, OrderState.ACKNOWLEDGED, OrderState.PARTIALLY_FILLED}


@dataclass
class ReplayTally:
    """Counted from the task results as they ran."""

    steps: int = 0
    start: datetime | None = None
    end: datetime | None = None
    tasks: Counter[str] = field(default_factory=Counter)
    scans: Counter[str] = field(default_factory=Counter)
    candidates: int = 0
    capped: int = 0
    """Candidates the analysis budget held back (``quorum.pipeline.budget``)."""
    analyses: Counter[str] = field(default_factory=Counter)
    no_trade: Counter[str] = field(default_factory=Counter)
    rejections: Counter[str] = field(default_factory=Counter)
    executions: Counter[str] = field(default_factory=Counter)
    monitor_actions: Counter[str] = field(default_factory=Counter)
    analysis_disabled: Counter[str] = field(default_factory=Counter)
    """What the ``analysis.enabled`` flag held back: ``plans`` that ran while it was false,
    the ``scans_skipped`` they did not submit (summed over plans: marks do not move while
    paused, so a (symbol, timeframe) still due at the next plan counts again),
    ``candidates_skipped`` by scans already
    queued, ``analyses_skipped`` already queued (see :mod:`quorum.pipeline.analysis_gate`)."""

    def record(self, task: str, result: Any) -> None:
        self.tasks[task] += 1
        if not isinstance(result, dict):
            return
        if task == "plan":
            if result.get("status") == DISABLED:
                self.analysis_disabled["plans"] += 1
                self.analysis_disabled["scans_skipped"] += int(result.get("skipped", 0))
        elif task == "scan":
            self.scans[str(result.get("timeframe"))] += 1
            self.candidates += int(bool(result.get("candidate")))
            self.capped += int(result.get("analysis") == CAPPED)
            if result.get("analysis") == DISABLED:
                self.analysis_disabled["candidates_skipped"] += 1
        elif task == "analyze":
            status = str(result.get("status"))
            self.analyses[status] += 1
            if status == DISABLED:
                self.analysis_disabled["analyses_skipped"] += 1
            if status == "no_trade":
                self.no_trade[_short(result.get("reason"))] += 1
            elif status in ("rejected", "refused"):
                self.rejections[str(result.get("rule") or _short(result.get("reason")))] += 1
        elif task == "execute":
            self.executions[str(result.get("status"))] += 1
        elif task == "monitor":
            for action in result.get("actions", []):
                self.monitor_actions[f"{action['kind']}:{action['rule']}"] += 1

    def as_dict(self) -> JSON:
        return {
            "steps": self.steps,
            "start": None if self.start is None else self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
            "tasks": dict(self.tasks),
            "scans": dict(self.scans),
            "bars_scanned": sum(self.scans.values()),
            "candidates": self.candidates,
            "candidates_capped": self.capped,
            "analyses": dict(self.analyses),
            "no_trade_reasons": dict(self.no_trade.most_common()),
            "rejections_by_rule": dict(self.rejections.most_common()),
            "executions": dict(self.executions),
            "monitor_actions": dict(self.monitor_actions),
            "analysis_disabled": {
                name: self.analysis_disabled[name]
                for name in ("plans", "scans_skipped", "candidates_skipped", "analyses_skipped")
            },
        }


def _short(reason: object) -> str:
    text = str(reason or "")
    return text.split(":")[0][:80] if text else "unspecified"


def closed_bars(tasks: PipelineTasks, close: datetime) -> dict[str, Bar]:
    """Each symbol's base bar that closed at ``close`` (a symbol without one is left out)."""
    deps = tasks.deps
    base = deps.settings.base_timeframe
    out = {}
    for symbol in deps.settings.symbols:
        frame = deps.market.fetch_bars(symbol, base, close - base.delta, close)
        bars = frame.closed_at(close).tail(1).bars()
        if bars and bars[-1].ts == close - base.delta:
            out[symbol] = bars[-1]
    return out


def replay(
    tasks: PipelineTasks,
    dispatcher: EmbeddedDispatcher,
    clock: ReplayClock,
    venue: ReplayVenue,
    steps: int,
    *,
    strategy: RuleStrategy | None = None,
    refresh_every: int | None = 96,
    on_step: Callable[[int, ReplayTally], None] | None = None,
    end_reason: str = "end of replay",
) -> ReplayTally:
    """Replay ``steps`` base bars from the clock's bar (see module doc for the order)."""
    deps = tasks.deps
    base = deps.settings.base_timeframe
    delay = timedelta(seconds=deps.settings.finalization_delay_s)
    run_id = deps.run_id
    tally = ReplayTally()
    rules = None if strategy is None else StrategyRunner(tasks, strategy)

    def drain() -> None:
        dispatcher.drain(
            lambda task, kwargs: run_task(tasks, task, kwargs),
            lambda task, _kw, result: tally.record(task, result),
            batches={"scan": tasks.scan_many},
        )

    def submit(task: str, at: str) -> None:
        dispatcher.submit(task, {}, key=f"{task}:{run_id}:{at}")
        drain()

    def execute_working() -> None:
        for order in deps.execution.orders(WORKING):
            cid = order.client_order_id
            dispatcher.submit("execute", {"client_order_id": cid}, key=cid)
        drain()

    def follow_exits() -> None:
        marks = {}
        for symbol in deps.settings.symbols:
            bar = venue.last_fed_bar(symbol)
            if bar is not None:
                marks[symbol] = bar.close
        sync_trades(deps, marks)

    start = base.floor(clock.now())
    clock.set(start + delay)
    tally.start = start
    for step in range(1, steps + 1):
        clock.advance(base.delta)
        close = clock.now() - delay
        at = format_time(close)
        bars = closed_bars(tasks, close)
        for bar in bars.values():
            venue.feed(bar)
        execute_working()
        submit("sweep", at)
        submit("monitor", at)
        follow_exits()
        if rules is None:
            submit("plan", at)
        else:
            for item in rules.on_close(close, bars):
                tally.record("analyze", item)
            drain()
        if close == close.replace(hour=0, minute=0, second=0, microsecond=0):
            submit("daily_reset", at)
        if refresh_every is not None and step % refresh_every == 0:
            submit("refresh", at)
        tally.steps = step
        tally.end = close
        if on_step is not None:
            on_step(step, tally)
    flatten_all(deps, by=deps.settings.actor, reason=end_reason)
    for symbol in deps.settings.symbols:
        venue.settle_at_close(symbol)
    execute_working()
    submit("monitor", "end")
    if refresh_every is not None:
        submit("refresh", "end")
    return tally
