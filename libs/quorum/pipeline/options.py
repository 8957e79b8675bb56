"""What an entry point asks of the composition root (``apps.bootstrap.build_pipeline``).

Every entry point — ``quorum run``, ``quorum analyze``, the workers, the API and
``quorum backtest`` — builds the pipeline through that one function. What differs between
them is stated here, never wired a second time: the market clock and source, the run id,
whether the venue is the replay venue (bars replayed bar by bar) or the stored paper venue
(wall-clock quotes), where analysis checkpoints live, the LLM mode, and per-run overrides
of the deployment's ``agents`` / ``scoring`` / ``risk`` / ``llm`` settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from quorum.clock import Clock
    from quorum.llm import LLMSettings
    from quorum.pipeline.settings import PipelineSettings
    from quorum.ports import MarketData

LlmMode = Literal["cached", "offline", "live"]
OVERRIDABLE = ("agents", "scoring", "risk", "llm")
"""The settings components a run may override (see ``quorum.config.settings.overrides``)."""


@dataclass(frozen=True)
class ReplayCosts:
    """The replay venue's costs: fee rate (maker and taker), slippage, matching seed."""

    fee: Decimal
    slippage: Decimal
    seed: int = 0


@dataclass(frozen=True)
class PipelineOptions:
    run_id: str = "pipeline"
    """Journal run id and the run part of derived client order ids."""
    clock: Clock | None = None
    """The market clock (a ReplayClock in replays); default the runtime's."""
    market: MarketData | None = None
    """Market data; default ``open_source(settings.data)`` on the market clock."""
    settings: PipelineSettings | None = None
    """What the pipeline watches; default the deployment's ``pipeline`` settings."""
    replay: ReplayCosts | None = None
    """Set: trade on an in-memory :class:`~quorum.execution.ReplayVenue` with these costs,
    fed bar by bar by the bar driver. None: the paper venue stored in the database."""
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Per-run overrides of ``agents`` / ``scoring`` / ``risk`` / ``llm`` (nested fields)."""
    llm_mode: LlmMode | None = None
    """``offline``: the offline analyst only; ``cached``: configured models behind a
    persistent answer cache; ``live``: no cache; None: the LLM settings as they are."""
    memory_checkpoints: bool = False
    """Analysis graph checkpoints in memory (a replay's keys are unique to its run)."""
    live: bool = False
    """With ``replay``: entries go to the configured exchange (the live broker, signing with
    the replay clock) while the bars replay — ``quorum run`` in live mode against a venue
    living at the replayed time (the Binance simulator). Never set by backtests."""
    reconcile: bool = True
    """Start-up reconciliation (off for read-only callers such as ``quorum status``)."""
    publish_gauges: bool | None = None
    """``monitor`` publishes the process's trading gauges: None (default) when an exporter
    is configured (``quorum.telemetry.metrics.exporter_configured``); the API, which serves
    ``/metrics`` itself, says True; backtests say False."""


def llm_for_mode(settings: LLMSettings, mode: LlmMode | None) -> LLMSettings:
    """The LLM settings a run in ``mode`` uses (see :attr:`PipelineOptions.llm_mode`)."""
    if mode is None:
        return settings
    if mode == "offline":
        return settings.model_copy(update={"models": ()})
    cache = settings.cache
    if mode == "cached" and cache.backend in ("memory", "none"):
        return settings.model_copy(update={"cache": cache.model_copy(update={"backend": "sql"})})
    if mode == "live":
        return settings.model_copy(update={"cache": cache.model_copy(update={"backend": "none"})})
    return settings


@dataclass(frozen=True)
class RunSettings:
    """The component settings one pipeline runs with: the deployment's, overrides applied."""

    agents: Any
    scoring: Any
    risk: Any
    llm: Any

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of all four (what a run record shows)."""
        import hashlib
        import json

        data = {name: getattr(self, name).model_dump(mode="json") for name in OVERRIDABLE}
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PipelineParts:
    """What the composition root wired besides the tasks (drivers and reports use them)."""

    venue: Any
    """The venue the pipeline trades on (a ReplayVenue when ``options.replay`` is set)."""
    market: MarketData
    settings: RunSettings
