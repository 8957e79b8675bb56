"""``build_llm_router``: compose the LLM layer from settings (called by the composition root)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from quorum.clock import Clock
from quorum.config.flags import FlagStore
from quorum.errors import ConfigError
from quorum.llm.attempt import CallBudget
from quorum.llm.budget import BudgetLedger, MemoryBudgetLedger, RedisBudgetLedger, SqlBudgetLedger
from quorum.llm.cache import (
    MemoryResponseCache,
    NullCache,
    RedisResponseCache,
    ResponseCache,
    SqlResponseCache,
)
from quorum.llm.events import BudgetEventSink
from quorum.llm.ledger import LedgerWriter, recent_calls, spent_by_scope
from quorum.llm.metrics import LLMMetrics
from quorum.llm.registry import ModelRegistry
from quorum.llm.router import QuorumRouter
from quorum.llm.settings import BudgetSettings, CacheSettings, LLMSettings
from quorum.llm.stats import AccuracyBoard, StatsBoard
from quorum.ports import SecretsProvider

if TYPE_CHECKING:
    from quorum.llm.backend import LiteLLMBackend

_log = logging.getLogger(__name__)

PAID_FLAG = "llm.allow_paid"


def build_budget_ledger(
    settings: BudgetSettings, engine: Engine | None, clock: Clock | None = None
) -> BudgetLedger:
    """The configured budget ledger. ``auto``: the SQL ledger on PostgreSQL (cluster: every
    process reserves in the shared database), else — embedded, one process — the in-process
    ledger seeded from the cost ledger's spend (no database round trip per call; the cost
    ledger is written before each analysis task ends and at exit)."""
    if settings.backend == "auto":
        if engine is not None and engine.dialect.name == "postgresql":
            return SqlBudgetLedger(engine)
        if engine is None or clock is None:
            return MemoryBudgetLedger()
        today = clock.now().date()
        since = (today - timedelta(days=1)).isoformat()
        runs_since = (today - timedelta(days=settings.run_scope_ttl_days)).isoformat()
        return MemoryBudgetLedger(spent_by_scope(engine, since, runs_since))
    if settings.backend == "redis":
        assert settings.redis_url is not None  # validated by BudgetSettings
        return RedisBudgetLedger.from_url(
            settings.redis_url, settings.key_prefix, cluster=settings.redis_cluster
        )
    if settings.backend == "sql":
        if engine is None:
            raise ConfigError("llm.budget.backend sql: needs the store's database engine")
        return SqlBudgetLedger(engine)
    return MemoryBudgetLedger()


def build_cache(settings: CacheSettings, engine: Engine | None, clock: Clock) -> ResponseCache:
    if settings.backend == "redis":
        assert settings.redis_url is not None  # validated by CacheSettings
        return RedisResponseCache.from_url(
            settings.redis_url, settings.key_prefix, settings.ttl_s, settings.redis_cluster
        )
    if settings.backend == "sql":
        if engine is None:
            raise ConfigError("llm.cache.backend sql: needs the store's database engine")
        return SqlResponseCache(engine, clock, settings.ttl_s)
    if settings.backend == "none":
        return NullCache()
    return MemoryResponseCache(clock, settings.ttl_s, settings.max_entries)


def paid_gate(flags: FlagStore, clock: Clock, refresh_s: float = 1.0) -> Callable[[], bool]:
    """Reads the ``llm.allow_paid`` flag at most every ``refresh_s``; unreadable means off."""
    state = {"value": False, "next": float("-inf")}

    def allowed() -> bool:
        now = clock.monotonic()
        if now >= state["next"]:
            try:
                state["value"] = flags.get(PAID_FLAG) is True
            except Exception:  # a flag store outage fails closed
                _log.exception("llm: flag %s unreadable; paid models off", PAID_FLAG)
                state["value"] = False
            state["next"] = now + refresh_s
        return bool(state["value"])

    return allowed


def backend_builder(registry: ModelRegistry, settings: LLMSettings) -> Callable[[], LiteLLMBackend]:
    """Builds the litellm backend when called, importing litellm (~2.7 s CPU) only then."""

    def build() -> LiteLLMBackend:
        from quorum.llm.backend import LiteLLMBackend

        return LiteLLMBackend(registry, settings)

    return build


def build_llm_router(
    settings: LLMSettings,
    *,
    clock: Clock,
    secrets: SecretsProvider | None,
    flags: FlagStore | None,
    engine: Engine | None = None,
    metrics_registry: CollectorRegistry | None = None,
    metrics: LLMMetrics | None = None,
    events: BudgetEventSink | None = None,
    budget: BudgetLedger | None = None,
    cache: ResponseCache | None = None,
) -> QuorumRouter:
    """The router for ``settings``. Raises ConfigError when the start-up check fails.

    ``flags``: paid models are used only while the ``llm.allow_paid`` flag is on (its
    default is off); ``None`` means no flag gate (tests, benchmarks).

    ``metrics`` (an existing :class:`LLMMetrics`, e.g. the process-wide one from
    ``quorum.llm.metrics.llm_metrics``) wins over ``metrics_registry``.

    ``engine`` (the store's, migrated) holds the ledger, the SQL budget and cache and the
    accuracy scores; without it nothing is written (tests, benchmarks). ``budget`` and
    ``cache`` replace the configured backends.
    """
    registry = ModelRegistry.build(settings, secrets)
    if metrics is None and metrics_registry is not None:
        metrics = LLMMetrics(metrics_registry)
    stats = StatsBoard(settings.stats_window)
    ledger = None
    if engine is not None:
        ledger = LedgerWriter(engine, clock, settings.ledger_batch, settings.ledger_flush_s)
        stats.seed(recent_calls(engine, settings.stats_window * 10))
    accuracy = AccuracyBoard({m.name: m.accuracy for m in registry}, clock, engine)
    return QuorumRouter(
        settings=settings,
        registry=registry,
        backend=backend_builder(registry, settings),
        budget=CallBudget(
            budget if budget is not None else build_budget_ledger(settings.budget, engine, clock),
            settings.budget,
            clock,
            metrics,
        ),
        cache=cache if cache is not None else build_cache(settings.cache, engine, clock),
        clock=clock,
        stats=stats,
        accuracy=accuracy,
        ledger=ledger,
        metrics=metrics,
        events=events,
        paid_allowed=paid_gate(flags, clock) if flags is not None else None,
    )
