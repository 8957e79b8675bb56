"""Drive the whole pipeline through a replay: plan → scan → analyze → execute → monitor at
every base-bar close, on a ReplayClock, with the embedded dispatcher and the same task
bodies the Celery workers call."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from quorum.clock import ReplayClock
from quorum.domain import format_time
from quorum.pipeline.control import flatten_all
from quorum.pipeline.deps import JSON
from quorum.pipeline.embedded import EmbeddedDispatcher, run_task
from quorum.pipeline.tasks import PipelineTasks


@dataclass
class ReplayTally:
    """Counted from the task results as they ran."""

    steps: int = 0
    start: datetime | None = None
    end: datetime | None = None
    tasks: Counter[str] = field(default_factory=Counter)
    scans: Counter[str] = field(default_factory=Counter)
    candidates: int = 0
    analyses: Counter[str] = field(default_factory=Counter)
    no_trade: Counter[str] = field(default_factory=Counter)
    rejections: Counter[str] = field(default_factory=Counter)
    executions: Counter[str] = field(default_factory=Counter)
    monitor_actions: Counter[str] = field(default_factory=Counter)

    def record(self, task: str, result: Any) -> None:
        self.tasks[task] += 1
        if not isinstance(result, dict):
            return
        if task == "scan":
            self.scans[str(result.get("timeframe"))] += 1
            self.candidates += int(bool(result.get("candidate")))
        elif task == "analyze":
            status = str(result.get("status"))
            self.analyses[status] += 1
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
            "analyses": dict(self.analyses),
            "no_trade_reasons": dict(self.no_trade.most_common()),
            "rejections_by_rule": dict(self.rejections.most_common()),
            "executions": dict(self.executions),
            "monitor_actions": dict(self.monitor_actions),
        }


def _short(reason: object) -> str:
    text = str(reason or "")
    return text.split(":")[0][:80] if text else "unspecified"


def replay_pipeline(
    tasks: PipelineTasks,
    dispatcher: EmbeddedDispatcher,
    clock: ReplayClock,
    steps: int,
    *,
    refresh_every: int = 96,
    on_step: Callable[[int, ReplayTally], None] | None = None,
) -> ReplayTally:
    """Advance ``clock`` one base bar (plus the finalization delay) at a time for ``steps``
    bars; at each close submit ``plan`` and drain, then ``monitor`` and drain. Positions
    still open at the end are flattened at the last close, so the run's P&L is realized."""
    settings = tasks.deps.settings
    base = settings.base_timeframe
    delay = timedelta(seconds=settings.finalization_delay_s)
    run_id = tasks.deps.run_id
    tally = ReplayTally()

    def handle(task: str, kwargs: JSON) -> Any:
        return run_task(tasks, task, kwargs)

    def record(task: str, _kwargs: JSON, result: Any) -> None:
        tally.record(task, result)

    def drain() -> None:
        dispatcher.drain(handle, record)

    clock.set(base.floor(clock.now()) + delay)
    tally.start = clock.now() - delay
    for step in range(1, steps + 1):
        clock.advance(base.delta)
        close = clock.now() - delay
        dispatcher.submit("plan", {}, key=f"plan:{run_id}:{format_time(close)}")
        drain()
        dispatcher.submit("monitor", {}, key=f"monitor:{run_id}:{format_time(close)}")
        drain()
        if close == close.replace(hour=0, minute=0, second=0, microsecond=0):
            dispatcher.submit("daily_reset", {}, key=f"daily_reset:{run_id}:{format_time(close)}")
            drain()
        if step % refresh_every == 0:
            dispatcher.submit("refresh", {}, key=f"refresh:{run_id}:{format_time(close)}")
            drain()
        tally.steps = step
        tally.end = close
        if on_step is not None:
            on_step(step, tally)
    flatten_all(tasks.deps, by=tasks.deps.settings.actor, reason="end of replay")
    dispatcher.submit("monitor", {}, key=f"monitor:{run_id}:end")
    drain()
    dispatcher.submit("refresh", {}, key=f"refresh:{run_id}:end")
    drain()
    return tally
