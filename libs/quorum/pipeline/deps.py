"""What the task bodies are handed: the wired services of one process (built in bootstrap)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.engine import Engine

from quorum.agents import AgentSettings, AnalysisGraph
from quorum.clock import Clock
from quorum.config import FlagStore
from quorum.execution import ExecutionService, PaperSettings
from quorum.journal import Journal
from quorum.pipeline.settings import PipelineSettings
from quorum.ports import LLMRouter, MarketData
from quorum.risk import RiskSettings
from quorum.scoring import ScoringSettings

JSON = dict[str, Any]
"""JSON-serializable only: ISO-8601 UTC strings for times, ``str`` for Decimals."""


class Dispatcher(Protocol):
    """Where a task body sends follow-up work. Celery: ``app.send_task``; embedded: an
    in-process queue. ``key`` is the derived idempotency key (Celery uses it as task id)."""

    def submit(self, task: str, kwargs: JSON, *, key: str) -> None: ...


class QuoteFeed(Protocol):
    """Brings a venue's prices up to ``as_of`` before orders are sent or positions checked
    (the paper venue matches its resting orders against the bars it is fed)."""

    def sync(self, symbol: str, as_of: datetime) -> None: ...

    def last(self, symbol: str, as_of: datetime) -> Decimal | None:
        """The venue's last price in ``symbol`` once synced to ``as_of`` (None: unknown)."""
        ...


@dataclass(frozen=True)
class PipelineDeps:
    engine: Engine
    journal: Journal
    clock: Clock
    flags: FlagStore
    execution: ExecutionService
    market: MarketData
    router: LLMRouter
    checkpointer: BaseCheckpointSaver[str]
    dispatcher: Dispatcher
    graph: AnalysisGraph
    """The analysis graph, compiled once over ``checkpointer`` and ``agents``; each analysis
    runs it with its own services (``quorum.agents.compile_analysis_graph``)."""
    settings: PipelineSettings = field(default_factory=PipelineSettings)
    risk: RiskSettings = field(default_factory=RiskSettings)
    agents: AgentSettings = field(default_factory=AgentSettings)
    scoring: ScoringSettings = field(default_factory=ScoringSettings)
    quotes: QuoteFeed | None = None
    trading_mode: str = "paper"
    run_id: str = "pipeline"
    """Journal run id and the run part of derived client order ids (stable across
    processes, so the same decision yields the same client id in every worker)."""
    fill_time: Callable[[str], datetime | None] | None = None
    """The market time of an order's first fill (by client order id) when the venue knows
    it better than the time the fill was recorded: a replay venue fills at the open of a bar
    it is fed after that bar closed. None (or an unknown order): the recorded time."""
    venue_spec: PaperSettings | None = None
    """The paper venue's specification (fees, slippage, amount step, maximum quantity): the
    market limits and costs the risk gate is told in paper mode. None: not known."""
    reload_accuracy: Callable[[], None] | None = None
    """Make this process's LLM router re-read the model accuracies ``refresh`` just wrote
    (``llm_model_scores``); None: the router re-reads them on its own schedule."""
    publish_gauges: bool = True
    """``monitor`` sets the process's trading gauges from this run's state after each pass
    (bootstrap: when an exporter is configured, or the API asks); a backtest turns it off
    (its replayed book is not the process's live one, and the status queries behind the
    gauges would cost more than the rest of the pass)."""
