"""A pipeline over a temporary database: real runtime, offline LLM, paper venue, replay clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd

from apps.bootstrap import Runtime, build_pipeline, build_runtime
from quorum.clock import ReplayClock
from quorum.config import AppSettings
from quorum.config.settings.pipeline import PipelineSettings
from quorum.domain import (
    BarFrame,
    OrderIntent,
    OrderLeg,
    OrderType,
    RiskDecision,
    Side,
    Timeframe,
    Verdict,
)
from quorum.execution import PaperVenue
from quorum.pipeline import EmbeddedDispatcher, PipelineTasks
from quorum.pipeline.embedded import run_task
from quorum.pipeline.options import PipelineOptions, PipelineParts
from quorum.pipeline.persistence import Trade, insert_trade
from quorum.ports import MarketData
from quorum.store import session_scope

START = datetime(2025, 1, 1, 6, 0, 5, tzinfo=UTC)
BASE = Timeframe("15m")


@dataclass
class ScriptedMarket:
    """Base bars the test writes one by one (``push``); before the first, a flat history at
    ``start_price`` from a day before ``START``."""

    start_price: float = 100.0
    bars: dict[datetime, tuple[float, float, float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        first = BASE.floor(START) - BASE.delta * 96
        p = self.start_price
        for i in range(96):
            self.bars[first + BASE.delta * i] = (p, p, p, p)

    def push(self, open_: float, high: float, low: float, close: float) -> datetime:
        """Append the next bar; returns its open time (it closes one bar later)."""
        ts = max(self.bars) + BASE.delta
        self.bars[ts] = (open_, high, low, close)
        return ts

    def fetch_bars(
        self, symbol: str, timeframe: Timeframe, since: datetime, until: datetime
    ) -> BarFrame:
        step = timeframe.delta // BASE.delta
        rows = {}
        times = sorted(t for t in self.bars if since <= t < until and timeframe.is_on_grid(t))
        for ts in times:
            group = [
                self.bars[ts + BASE.delta * i]
                for i in range(step)
                if ts + BASE.delta * i in self.bars
            ]
            if len(group) < step:
                continue
            rows[ts] = (
                group[0][0],
                max(b[1] for b in group),
                min(b[2] for b in group),
                group[-1][3],
                100.0,
            )
        index = pd.DatetimeIndex(list(rows), name="ts")
        df = pd.DataFrame(
            list(rows.values()), index=index, columns=["open", "high", "low", "close", "volume"]
        )
        return BarFrame(symbol, timeframe, df)


@dataclass
class Kit:
    runtime: Runtime
    tasks: PipelineTasks
    dispatcher: EmbeddedDispatcher
    clock: ReplayClock
    venue: PaperVenue

    def close(self) -> None:
        self.runtime.close()


def make_kit(
    database_url: str | None = None,
    run_id: str = "test-run",
    market: MarketData | None = None,
    execution: dict[str, object] | None = None,
    sections: dict[str, Any] | None = None,
    pipeline: dict[str, Any] | None = None,
) -> Kit:
    """Call with the working directory set to a temporary one (``monkeypatch.chdir``).
    ``execution``: execution settings (e.g. ``resolve_spacing_s``); ``sections`` sets
    sections of the app settings (e.g. ``{"risk": {...}}``) and ``pipeline`` fields of the
    pipeline settings."""
    extra: dict[str, Any] = dict(sections or {})
    if database_url:
        extra["database"] = {"url": database_url}
    if execution is not None:
        extra["execution"] = execution
    settings = AppSettings(**extra)
    runtime = build_runtime(settings)
    clock = ReplayClock(START)
    dispatcher = EmbeddedDispatcher()
    parts: list[PipelineParts] = []
    fields: dict[str, Any] = {
        "symbols": ("BTC/USDT",),
        "timeframes": ("15m", "1h"),
        "history_bars": 400,
        **(pipeline or {}),
    }
    options = PipelineOptions(
        clock=clock, settings=PipelineSettings(**fields), run_id=run_id, market=market
    )
    tasks = build_pipeline(runtime, dispatcher, options, parts=parts)
    return Kit(runtime, tasks, dispatcher, clock, parts[0].venue)


@contextmanager
def scripted_kit(**kit_args: Any) -> Iterator[tuple[Kit, ScriptedMarket]]:
    """A kit over a :class:`ScriptedMarket` the test writes bar by bar, closed afterwards
    (call with the working directory set to a temporary one)."""
    market = ScriptedMarket()
    kit = make_kit(market=market, **kit_args)
    try:
        yield kit, market
    finally:
        kit.close()


def open_position(kit: Kit, quantity: str = "0.5", *, execute: bool = True) -> str:
    """Store an approved entry (as analyze would) and execute it directly — or, with
    ``execute=False``, queue its ``execute`` task — returning its id."""
    cid = store_entry(kit, quantity)
    if execute:
        kit.tasks.execute(cid)
    else:
        kit.dispatcher.submit("execute", {"client_order_id": cid}, key=cid)
    return cid


def store_entry(kit: Kit, quantity: str = "0.5") -> str:
    """Store an approved long market entry (as analyze would); returns its client id."""
    deps = kit.tasks.deps
    deps.quotes.sync("BTC/USDT", kit.clock.now())  # type: ignore[union-attr]
    intent = OrderIntent(
        run_id=deps.run_id,
        strategy="test",
        symbol="BTC/USDT",
        signal_time=kit.clock.now(),
        side=Side.BUY,
        leg=OrderLeg.ENTRY,
        order_type=OrderType.MARKET,
        quantity=Decimal(quantity),
    )
    decision = RiskDecision(
        symbol="BTC/USDT",
        as_of=kit.clock.now(),
        verdict=Verdict.APPROVED,
        quantity=Decimal(quantity),
    )
    with session_scope(deps.engine) as session:
        assert deps.execution.store_intent(session, intent, decision).status == "stored"
    return intent.client_order_id


def open_trade(
    kit: Kit,
    quantity: str = "0.5",
    stop: str = "95",
    target: str | None = "110",
    *,
    execute: bool = True,
    venue: str = "paper",
) -> str:
    """A long entry and its pending trade row (as ``commit_decision`` leaves them), then
    the entry executed now — with the protective orders its fill places, as the workers
    would run them — or queued with ``execute=False``; the ``monitor`` after the entry
    filled opens the trade. Returns the trade id."""
    cid = store_entry(kit, quantity)
    deps = kit.tasks.deps
    trade = Trade(
        trade_id=cid,
        run_id=deps.run_id,
        venue=venue,
        symbol="BTC/USDT",
        direction="long",
        signal_id=f"sig-{cid}",
        state="pending",
        stop=Decimal(stop),
        initial_stop=Decimal(stop),
        take_profit=None if target is None else Decimal(target),
        best_price=None,
        exit_orders=(),
        pnl=None,
        r_multiple=None,
        learned=False,
        opened_at=kit.clock.now(),
        closed_at=None,
        version=1,
    )
    with session_scope(deps.engine) as session:
        assert insert_trade(session, trade)
    kit.dispatcher.submit("execute", {"client_order_id": cid}, key=cid)
    if execute:
        drain(kit)
    return cid


def next_bar(kit: Kit, market: ScriptedMarket, o: float, h: float, low: float, c: float) -> None:
    """Push the next base bar and move the clock to just after it closed."""
    ts = market.push(o, h, low, c)
    kit.clock.set(ts + BASE.delta + timedelta(seconds=5))


def drain(kit: Kit, limit: int | None = None) -> int:
    """Run queued tasks (all of them, or at most ``limit``); returns how many ran."""
    ran = 0
    while limit is None or ran < limit:
        item = kit.dispatcher.pop()
        if item is None:
            break
        task, _, kwargs = item
        run_task(kit.tasks, task, kwargs)
        ran += 1
    return ran
