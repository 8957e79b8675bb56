"""Prometheus metrics of the trading pipeline, and the process-wide registry they live on.

One :class:`QuorumMetrics` per process, created on first use by :func:`metrics` on
prometheus-client's default registry (nothing is created at import time). Other layers
register their own metric sets on that registry through :func:`process_metrics` (the LLM
layer's :func:`quorum.llm.llm_metrics` does), so the API's ``/metrics`` and a worker's
exporter show all of them; this module imports none of those layers.

Multiprocess (Celery's prefork pool, several API workers): when
``PROMETHEUS_MULTIPROC_DIR`` is set *before prometheus_client is imported*, every process
writes its samples to files there and :func:`exposition_registry` merges them. State
gauges use ``mostrecent`` (the last value set by any process); counters and histograms sum
across processes, including processes that have exited.

Labels are bounded: task names, queues, timeframes, venues, order states and legs, risk
rules, decisions, pattern families and analyst names. Free-text reasons go through
:class:`BoundedLabel` (first clause, at most ``limit`` distinct values, then ``other``);
never order ids, symbols' client ids, prompts or run ids.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Final, cast

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

MULTIPROC_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"

SCAN_OBJECTIVE_S: Final = 1.0
"""The scan latency objective per timeframe (the alert and the dashboard line)."""

SCAN_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0)
STAGE_BUCKETS: Final = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
FAST_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
ACK_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

WINDOWS: Final = ("7d", "30d")
"""Rolling windows of the trade statistics (closed trades whose exit is inside)."""

_CLAUSE = re.compile(r"[:(\[\d]")


class BoundedLabel:
    """Free text → a label value of bounded cardinality.

    Keeps the text before the first ``:``, ``(``, ``[`` or digit (where the specifics of a
    message start), lower-cased and cut to 48 characters; after ``limit`` distinct values
    every new one becomes ``other``.
    """

    def __init__(self, limit: int = 32) -> None:
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, text: str | None) -> str:
        head = _CLAUSE.split(text or "", maxsplit=1)[0].strip().strip(",.;-").lower()
        value = head[:48] or "unspecified"
        with self._lock:
            if value in self._seen:
                return value
            if len(self._seen) >= self.limit:
                return "other"
            self._seen.add(value)
        return value


class QuorumMetrics:
    """Every pipeline, trading and worker metric, registered on ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        # -- trading -----------------------------------------------------------------------
        self.signals = Counter(
            "quorum_signals",
            "Analyses by decision (approved/rejected/refused/no_trade/skipped) and reason "
            "(the failed risk rule, or the no-trade reason's first clause).",
            ("decision", "reason"),
            registry=r,
        )
        self.orders = Gauge(
            "quorum_orders",
            "Orders of the pipeline's run by current state.",
            ("state",),
            multiprocess_mode="mostrecent",
            registry=r,
        )
        self.fills = Counter(
            "quorum_fills",
            "Executions that filled (fully or partly) an order, by venue and leg.",
            ("venue", "leg"),
            registry=r,
        )
        self.trades_closed = Counter(
            "quorum_trades_closed",
            "Trades closed, by outcome (win/loss) after fees.",
            ("outcome",),
            registry=r,
        )
        self.open_positions = _state(r, "quorum_open_positions", "Non-flat venue positions.")
        self.exposure = _state(
            r, "quorum_exposure_usd", "Gross exposure of open positions at mark, quote currency."
        )
        self.equity = _state(r, "quorum_equity_usd", "Account equity at mark.")
        self.pnl_realized = _state(
            r,
            "quorum_pnl_realized_usd",
            "Realized P&L of closed trades after fees (and funding where the venue charges it).",
        )
        self.pnl_unrealized = _state(
            r, "quorum_pnl_unrealized_usd", "Unrealized P&L of open positions at mark."
        )
        self.pnl_today = _state(r, "quorum_pnl_realized_today_usd", "Realized P&L since reset.")
        self.drawdown = _state(
            r,
            "quorum_drawdown_ratio",
            "Drawdown from the period's equity peak (0.05 = 5 %), by period (day/month).",
            ("period",),
        )
        self.win_rate = _state(
            r, "quorum_win_rate", "Share of closed trades that won, by window.", ("window",)
        )
        self.expectancy = _state(
            r, "quorum_expectancy_r", "Mean R multiple of closed trades, by window.", ("window",)
        )
        self.sharpe = _state(
            r,
            "quorum_sharpe_ratio",
            "Per-trade Sharpe ratio (mean / stdev of R multiples), by window.",
            ("window",),
        )
        self.mar = _state(
            r,
            "quorum_mar_ratio",
            "MAR: annualized return over max drawdown of closed-trade equity, by window.",
            ("window",),
        )
        self.closed_in_window = _state(
            r, "quorum_trades_in_window", "Closed trades in the window.", ("window",)
        )
        self.cost_per_trade = _state(
            r,
            "quorum_cost_per_trade_usd",
            "Mean trading fees per closed trade, by window.",
            ("window",),
        )
        self.hit_rate = _state(
            r,
            "quorum_hit_rate",
            "Share of won trades among those an arm supported, by kind (pattern/analyst).",
            ("kind", "name"),
        )
        self.safe_mode = _state(r, "quorum_safe_mode", "1 while SAFE_MODE is on.")
        self.lockout = _state(
            r, "quorum_lockout_active", "1 while a lockout of this risk rule is active.", ("rule",)
        )
        self.kill_switch = _state(r, "quorum_kill_switch_engaged", "1 while the kill switch is on.")
        self.breaker_open = _state(
            r,
            "quorum_exchange_breaker_open",
            "1 while the venue's circuit breaker is open.",
            ("venue",),
        )
        self.unknown_inconclusive = Counter(
            "quorum_execution_unknown_inconclusive",
            "Orders left unknown at a venue where 'not found' is never conclusive (no "
            "receive window, or no lookup by client id); entries on the symbol are refused.",
            ("venue",),
            registry=r,
        )
        self.unexplained_exposure = Counter(
            "quorum_execution_unexplained_exposure",
            "Reconciliations that found venue exposure no recorded fill explains (a "
            "duplicate), by venue and symbol.",
            ("venue", "symbol"),
            registry=r,
        )
        # -- pipeline ----------------------------------------------------------------------
        self.scans = Counter(
            "quorum_scans",
            "Scans run, by timeframe and result (candidate/none/repeat).",
            ("timeframe", "result"),
            registry=r,
        )
        self.duplicate_deliveries = Counter(
            "quorum_task_duplicate_deliveries",
            "Deliveries of a task whose key was already claimed (at-least-once delivery: a "
            "broker redelivery or a second send); answered from the stored result, no work.",
            ("task",),
            registry=r,
        )
        self.scan_latency = Histogram(
            "quorum_scan_duration_seconds",
            "Wall time of one scan, by timeframe (objective: 1 s).",
            ("timeframe",),
            buckets=SCAN_BUCKETS,
            registry=r,
        )
        self.analysis_latency = Histogram(
            "quorum_analysis_duration_seconds",
            "Wall time of one analysis (agents, score, risk, commit).",
            buckets=STAGE_BUCKETS,
            registry=r,
        )
        self.risk_latency = Histogram(
            "quorum_risk_decision_duration_seconds",
            "Wall time of one pre-trade risk evaluation.",
            buckets=FAST_BUCKETS,
            registry=r,
        )
        self.submit_ack = Histogram(
            "quorum_execution_submit_ack_seconds",
            "From sending an order to the venue's answer, by venue and outcome.",
            ("venue", "outcome"),
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.data_rejections = Counter(
            "quorum_data_quality_rejections",
            "Market data refused by the quality gates, by timeframe.",
            ("timeframe",),
            registry=r,
        )
        self.journal_appends = Counter(
            "quorum_journal_appends",
            "Journal entries written (counted at insert; a rolled-back transaction included).",
            registry=r,
        )
        self.journal_verify_ok = _state(
            r, "quorum_journal_verify_ok", "1 when the last journal verification passed, else 0."
        )
        self.journal_verifications = Counter(
            "quorum_journal_verifications",
            "Journal verifications by result (ok/failed).",
            ("result",),
            registry=r,
        )
        # The periodic verification (beat → quorum.verify_journal) sets these too. They are
        # `mostrecent` like every state gauge: the pool process that verified may have been
        # recycled since, and its result must stay visible until the next run replaces it
        # (`livemostrecent` would drop it when that process exits).
        self.journal_verified_entries = _state(
            r,
            "quorum_journal_verified_entries",
            "Entries the last journal verification walked (up to the first damage).",
        )
        self.journal_first_bad_seq = _state(
            r,
            "quorum_journal_verify_first_bad_seq",
            "Sequence number of the first damaged entry found by the last verification "
            "(0 when none).",
        )
        self.journal_verify_last_run = _state(
            r,
            "quorum_journal_verify_last_run_timestamp_seconds",
            "Unix time at which the last journal verification finished (ok or failed).",
        )
        self.tasks = Counter(
            "quorum_tasks",
            "Celery task outcomes (success/failure/retry/rejected), by task.",
            ("task", "outcome"),
            registry=r,
        )
        self.task_latency = Histogram(
            "quorum_task_duration_seconds",
            "Wall time of one Celery task, by task.",
            ("task",),
            buckets=STAGE_BUCKETS,
            registry=r,
        )
        self.reasons = BoundedLabel()

    def record_journal_verification(self, ok: bool) -> None:
        self.journal_verify_ok.set(1 if ok else 0)
        self.journal_verifications.labels("ok" if ok else "failed").inc()

    def record_journal_details(
        self, entries: int, first_bad_seq: int | None, finished: datetime
    ) -> None:
        """What a verification found besides ok/failed (:meth:`record_journal_verification`),
        and when it finished (``finished`` from the caller's clock)."""
        self.journal_verified_entries.set(entries)
        self.journal_first_bad_seq.set(first_bad_seq or 0)
        self.journal_verify_last_run.set(finished.timestamp())


def _state(
    registry: CollectorRegistry, name: str, documentation: str, labels: tuple[str, ...] = ()
) -> Gauge:
    """A state gauge: under multiprocess mode the value last set by any process wins."""
    return Gauge(name, documentation, labels, multiprocess_mode="mostrecent", registry=registry)


@cache
def metrics() -> QuorumMetrics:
    """This process's metrics on prometheus-client's default registry (created once)."""
    return QuorumMetrics(REGISTRY)


_PROCESS_SETS: dict[Callable[[CollectorRegistry], object], object] = {}
_PROCESS_SETS_LOCK = threading.Lock()


def process_metrics[M](factory: Callable[[CollectorRegistry], M]) -> M:
    """The process's one instance of a layer's metric set, built by ``factory`` on the
    default registry on first use (however many times it is asked for: a second
    registration of the same metric names would be refused)."""
    with _PROCESS_SETS_LOCK:
        found = _PROCESS_SETS.get(factory)
        if found is None:
            found = _PROCESS_SETS[factory] = factory(REGISTRY)
    return cast(M, found)


def exporter_configured() -> bool:
    """Whether another process exports this one's samples: multiprocess mode
    (``PROMETHEUS_MULTIPROC_DIR``: the files a worker's exporter or the API's ``/metrics``
    merge). A process that serves its own metrics (the API) knows it without asking."""
    return bool(os.environ.get(MULTIPROC_ENV))


def exposition_registry() -> CollectorRegistry:
    """What ``/metrics`` serves: every process's files merged under multiprocess mode,
    else the default registry."""
    path = os.environ.get(MULTIPROC_ENV)
    if not path:
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]
    return registry


__all__ = [
    "MULTIPROC_ENV",
    "SCAN_OBJECTIVE_S",
    "WINDOWS",
    "BoundedLabel",
    "QuorumMetrics",
    "exporter_configured",
    "exposition_registry",
    "metrics",
    "process_metrics",
]
