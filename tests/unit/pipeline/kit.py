"""A pipeline over a temporary database: real runtime, offline LLM, paper venue, replay clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from apps.bootstrap import Runtime, build_pipeline, build_runtime
from quorum.clock import ReplayClock
from quorum.config import AppSettings
from quorum.config.settings.pipeline import PipelineSettings
from quorum.domain import OrderIntent, OrderLeg, OrderType, RiskDecision, Side, Verdict
from quorum.execution import PaperVenue
from quorum.pipeline import EmbeddedDispatcher, PipelineTasks
from quorum.pipeline.options import PipelineOptions, PipelineParts
from quorum.store import session_scope

START = datetime(2025, 1, 1, 6, 0, 5, tzinfo=UTC)


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
    sections: dict[str, Any] | None = None,
    pipeline: dict[str, Any] | None = None,
) -> Kit:
    """Call with the working directory set to a temporary one (``monkeypatch.chdir``);
    ``sections`` sets sections of the app settings (e.g. ``{"risk": {...}}``) and
    ``pipeline`` fields of the pipeline settings."""
    extra: dict[str, Any] = dict(sections or {})
    if database_url:
        extra["database"] = {"url": database_url}
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
    options = PipelineOptions(clock=clock, settings=PipelineSettings(**fields), run_id=run_id)
    tasks = build_pipeline(runtime, dispatcher, options, parts=parts)
    return Kit(runtime, tasks, dispatcher, clock, parts[0].venue)


def open_position(kit: Kit, quantity: str = "0.5") -> str:
    """Store and execute an approved entry directly (as analyze would), returning its id."""
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
    kit.tasks.execute(intent.client_order_id)
    return intent.client_order_id
