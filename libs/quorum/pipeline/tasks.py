"""The pipeline's task bodies: what Celery workers and the embedded runner call.

Every body is idempotent by its key, takes and returns JSON, and is safe to redeliver:

- ``scan`` / ``analyze`` claim their key in ``pipeline_task_runs`` in the same database
  transaction as the work's state change (journal entries, signal row, stored intent,
  risk-state version); a redelivery finds the claimed key and returns the stored result.
- ``execute`` is idempotent by itself: the order's state machine moves by compare-and-set,
  so a second call only advances (or reconciles) the same order.
- ``plan``, ``monitor``, ``reconcile``, ``daily_reset`` and ``refresh`` are level-triggered:
  they look at current state and change what is due, so running one twice changes nothing
  the first run did not leave to do.
- ``sweep`` re-submits ``execute`` for orders left ``new`` / ``unknown`` (backoff per
  order, persisted) and expires stale entries (:mod:`quorum.pipeline.sweep_task`).
"""

from __future__ import annotations

from datetime import datetime

from quorum.config.settings.worker import TASKS
from quorum.pipeline import (
    analyze_task,
    control,
    execute_task,
    monitor_task,
    refresh_task,
    scan_task,
    sweep_task,
)
from quorum.pipeline.analysis_gate import DISABLED, REASON, analysis_enabled
from quorum.pipeline.deps import JSON, Dispatcher, PipelineDeps
from quorum.pipeline.persistence import list_signals
from quorum.pipeline.reports import SignalRecord, StatusReport
from quorum.pipeline.runs import TaskRuns
from quorum.pipeline.status import build_status

TASK_NAMES = TASKS
"""Every task body's name: the one list, kept with the worker settings that key on it."""
TASK_QUEUES = {
    "plan": "scan",
    "scan": "scan",
    "analyze": "analyze",
    "execute": "execute",
    "monitor": "monitor",
    "reconcile": "monitor",
    "daily_reset": "monitor",
    "refresh": "analyze",
    "sweep": "execute",
}


def task_key(task: str, *parts: str) -> str:
    """The derived idempotency key of one task invocation (also the Celery task id)."""
    if task not in TASK_NAMES:
        raise ValueError(f"task: must be one of {', '.join(TASK_NAMES)} (got {task!r})")
    return ":".join((task, *parts))


class PipelineTasks:
    """One process's task bodies over its wired services (``apps.bootstrap.build_pipeline``)."""

    def __init__(self, deps: PipelineDeps) -> None:
        self.deps = deps
        self.runs = TaskRuns(deps.engine, deps.clock)

    @property
    def dispatcher(self) -> Dispatcher:
        return self.deps.dispatcher

    def plan(self) -> JSON:
        return scan_task.plan(self.deps, self.runs)

    def scan(self, symbol: str, timeframe: str, bar_close: str) -> JSON:
        return scan_task.scan(self.deps, self.runs, symbol, timeframe, bar_close)

    def scan_many(self, items: list[JSON]) -> list[JSON]:
        """Several ``scan`` kwargs, written in one transaction (the bar driver's batch)."""
        return scan_task.scan_many(self.deps, self.runs, items)

    def analyze(self, symbol: str, as_of: str, timeframe: str) -> JSON:
        if not analysis_enabled(self.deps):  # submitted before the flag was turned off
            return {
                "symbol": symbol,
                "as_of": as_of,
                "timeframe": timeframe,
                "status": DISABLED,
                "reason": REASON,
            }
        control.sweep_trading_state(self.deps)
        return analyze_task.analyze(self.deps, self.runs, symbol, as_of, timeframe)

    def execute(self, client_order_id: str) -> JSON:
        return execute_task.execute(self.deps, client_order_id)

    def monitor(self) -> JSON:
        control.sweep_trading_state(self.deps)
        return monitor_task.monitor(self.deps)

    def reconcile(self) -> JSON:
        return execute_task.reconcile(self.deps)

    def daily_reset(self) -> JSON:
        return control.daily_reset(self.deps)

    def refresh(self) -> JSON:
        return refresh_task.refresh(self.deps)

    def sweep(self) -> JSON:
        return sweep_task.sweep(self.deps)

    def status(self) -> StatusReport:
        return build_status(self.deps)

    def signals(self, limit: int = 100, since: datetime | None = None) -> list[SignalRecord]:
        return list_signals(self.deps.engine, limit=limit, since=since)

    def set_kill_switch(self, engaged: bool, by: str, reason: str) -> JSON:
        return control.set_kill_switch(self.deps, engaged, by, reason)

    def close(self) -> None:
        """Release what this process holds (the broker connections stay with their owner)."""
        close_router = getattr(self.deps.router, "close", None)
        if callable(close_router):  # the LLMRouter port itself has no close
            close_router()
        self.deps.engine.dispose()
