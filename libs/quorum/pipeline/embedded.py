"""The in-process dispatcher used when no broker URL is set.

A priority queue that always drains ``execute`` before ``monitor`` / ``reconcile`` /
``daily_reset``, those before ``analyze`` / ``refresh``, and those before ``plan`` /
``scan`` — so an approved order is sent before the next analysis starts and execution is
never starved by a burst of scans. Within a priority, first in first out. A key already
waiting is not queued twice. A task runs in the trace context it was submitted in (as the
Celery instrumentation carries it in message headers). ``drain`` runs the tasks through a
handler (the same task bodies the Celery tasks call).
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Callable
from typing import Any

from quorum.pipeline.deps import JSON
from quorum.pipeline.tasks import TASK_NAMES
from quorum.telemetry.tracing import attached, capture_context

PRIORITY = {
    "execute": 0,
    "sweep": 0,
    "monitor": 1,
    "reconcile": 1,
    "daily_reset": 1,
    "analyze": 2,
    "refresh": 2,
    "plan": 3,
    "scan": 3,
}


class EmbeddedDispatcher:
    def __init__(self) -> None:
        self._heap: list[tuple[int, int, str, str, JSON]] = []
        self._waiting: set[str] = set()
        self._order = itertools.count()
        self.submitted: Counter[str] = Counter()
        self.ran: Counter[str] = Counter()
        self._contexts: dict[str, dict[str, str]] = {}  # key → trace context at submit

    def submit(self, task: str, kwargs: JSON, *, key: str) -> None:
        if task not in TASK_NAMES:
            raise ValueError(f"task: must be one of {', '.join(TASK_NAMES)} (got {task!r})")
        self.submitted[task] += 1
        if key in self._waiting:
            return
        self._waiting.add(key)
        self._contexts[key] = capture_context()
        heapq.heappush(self._heap, (PRIORITY[task], next(self._order), task, key, dict(kwargs)))

    def __len__(self) -> int:
        return len(self._heap)

    def pop(self) -> tuple[str, str, JSON] | None:
        if not self._heap:
            return None
        _, _, task, key, kwargs = heapq.heappop(self._heap)
        self._waiting.discard(key)
        return task, key, kwargs

    def drain(
        self,
        handler: Callable[[str, JSON], Any],
        on_result: Callable[[str, JSON, Any], None] | None = None,
        limit: int = 100_000,
    ) -> int:
        """Run queued tasks (and what they queue) until empty; returns how many ran."""
        ran = 0
        while ran < limit:
            item = self.pop()
            if item is None:
                return ran
            task, key, kwargs = item
            with attached(self._contexts.pop(key, None)):
                result = handler(task, kwargs)
            self.ran[task] += 1
            ran += 1
            if on_result is not None:
                on_result(task, kwargs, result)
        raise RuntimeError(f"embedded dispatcher: more than {limit} tasks in one drain")


def run_task(tasks: Any, task: str, kwargs: JSON) -> Any:
    """Call the task body ``task`` of a :class:`~quorum.pipeline.PipelineTasks`."""
    if task not in TASK_NAMES:
        raise ValueError(f"task: must be one of {', '.join(TASK_NAMES)} (got {task!r})")
    return getattr(tasks, task)(**kwargs)
