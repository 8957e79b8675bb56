"""Wire the pipeline's task bodies for one backtest run (the backtest's composition).

The same :class:`~quorum.pipeline.PipelineTasks` the Celery workers and ``quorum run``
call, over: the run's ReplayClock, the recorded bars, a :class:`ReplayVenue` (next-bar
fills), the LLM router in the requested mode, and an in-memory analysis checkpointer
(each analysis key is unique to the run, so nothing outlives it).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from sqlalchemy.engine import Engine

from quorum.agents import AgentSettings, memory_checkpointer
from quorum.backtest.frames import WindowMarket
from quorum.backtest.spec import BacktestSpec
from quorum.backtest.venue import ExitLevels, ReplayVenue
from quorum.clock import Clock, ReplayClock
from quorum.config import AppSettings, FlagStore
from quorum.config.settings.pipeline import PipelineSettings
from quorum.domain import Direction, Timeframe, split_symbol
from quorum.execution import PAPER, ExecutionService, InProcessPaperBroker, PaperSettings
from quorum.journal import Journal
from quorum.llm import JournalBudgetEvents, LLMSettings, build_llm_router
from quorum.market import open_source
from quorum.pipeline import EmbeddedDispatcher, PipelineDeps, PipelineTasks, history_start
from quorum.pipeline.persistence import trades
from quorum.ports import LLMRouter, MarketData, SecretsProvider
from quorum.scoring import ScoringSettings
from quorum.store import session_factory


class Services(Protocol):
    """What a backtest needs from the process (``apps.bootstrap.Runtime`` fits)."""

    @property
    def settings(self) -> AppSettings: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def secrets(self) -> SecretsProvider: ...
    @property
    def engine(self) -> Engine: ...
    @property
    def journal(self) -> Journal: ...
    @property
    def flags(self) -> FlagStore: ...


@dataclass
class Wired:
    tasks: PipelineTasks
    dispatcher: EmbeddedDispatcher
    clock: ReplayClock
    venue: ReplayVenue
    market: MarketData
    router: LLMRouter


def llm_settings(settings: LLMSettings, mode: str) -> LLMSettings:
    """``offline``: the offline analyst only; ``cached``: the configured models behind a
    persistent (SQL) answer cache, a model is asked only on a miss; ``live``: no cache."""
    if mode == "offline":
        return settings.model_copy(update={"models": ()})
    cache = settings.cache
    if mode == "cached" and cache.backend in ("memory", "none"):
        return settings.model_copy(update={"cache": cache.model_copy(update={"backend": "sql"})})
    if mode == "live":
        return settings.model_copy(update={"cache": cache.model_copy(update={"backend": "none"})})
    return settings


def pipeline_settings(
    spec: BacktestSpec, symbols: tuple[str, ...], capital: Decimal
) -> PipelineSettings:
    return PipelineSettings(
        symbols=symbols,
        timeframes=spec.timeframes,
        base=spec.base,
        data=spec.data,
        history_bars=spec.history_bars,
        strategy="agents" if spec.rule is None else spec.rule.name[:64],
        actor="backtest",
        paper_equity=capital,
    )


def run_market(spec: BacktestSpec, clock: ReplayClock) -> MarketData:
    """The run's market: ``spec.data`` through its loader on the run's clock, answered from
    the window loaded once (see :mod:`quorum.backtest.frames`). The window starts where the
    earliest scan or analysis of the run reaches back (``history_bars`` of the longest
    timeframe before the start) and ends at the run's end."""

    def opened(at: ReplayClock) -> MarketData:
        return open_source(spec.data, clock=at, seed=spec.seed, base_timeframe=spec.base_timeframe)

    frames = [Timeframe(tf) for tf in spec.timeframes]
    return WindowMarket(
        opened(clock),
        clock,
        spec.base_timeframe,
        history_start(frames, spec.start, spec.history_bars),
        spec.end,
        lambda: opened(ReplayClock(spec.end)),
    )


def wire(
    services: Services,
    spec: BacktestSpec,
    run_id: str,
    symbols: tuple[str, ...],
    capital: Decimal,
    market: MarketData | None = None,
    dispatcher: EmbeddedDispatcher | None = None,
) -> Wired:
    clock = ReplayClock(spec.start)
    settings = pipeline_settings(spec, symbols, capital)
    source = market or run_market(spec, clock)
    quotes = sorted({split_symbol(s)[1] for s in symbols})
    venue = ReplayVenue(
        clock,
        PaperSettings(
            initial_balances=dict.fromkeys(quotes, capital),
            maker_fee=spec.fee,
            taker_fee=spec.fee,
            slippage=spec.slippage,
            seed=spec.seed,
        ),
    )
    execution = ExecutionService(
        session_factory(services.engine),
        services.journal,
        clock,
        {PAPER: InProcessPaperBroker(venue)},
        mode=lambda: PAPER,
    )
    execution.reconcile(startup=True)
    router = build_llm_router(
        llm_settings(services.settings.llm, spec.llm),
        clock=services.clock,
        secrets=services.secrets,
        flags=services.flags,
        engine=services.engine,
        events=JournalBudgetEvents(services.journal, services.engine),
    )
    dispatcher = dispatcher if dispatcher is not None else EmbeddedDispatcher()
    deps = PipelineDeps(
        engine=services.engine,
        journal=services.journal,
        clock=clock,
        flags=services.flags,
        execution=execution,
        market=source,
        router=router,
        checkpointer=memory_checkpointer(),
        dispatcher=dispatcher,
        settings=settings,
        risk=spec.risk_settings(),
        agents=AgentSettings(),
        scoring=ScoringSettings(),
        quotes=None,
        trading_mode=PAPER,
        run_id=run_id,
        fill_time=venue.fill_time,
        publish_gauges=False,
    )

    def levels(symbol: str) -> ExitLevels | None:
        with services.engine.connect() as conn:
            for trade in trades(conn, states=["open"], run_id=run_id):
                if trade.symbol == symbol:
                    return ExitLevels(Direction(trade.direction), trade.stop, trade.take_profit)
        return None

    venue.set_levels(levels)
    return Wired(PipelineTasks(deps), dispatcher, clock, venue, source, router)
