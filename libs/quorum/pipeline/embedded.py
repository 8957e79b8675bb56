"""The in-process dispatcher used when no broker URL is set.

A priority queue that always drains ``execute`` before ``monitor`` / ``reconcile`` /
``daily_reset``, those before ``analyze`` / ``refresh``, and those before ``plan`` /
``scan`` — so an approved order is sent before the next analysis starts and execution is
never starved by a burst of scans. Within a priority, first in first out. A key already
waiting is not queued twice. A task runs in the trace context it was submitted in (as the
Celery instrumentation carries it in message headers). ``drain`` runs the tasks through a
handler (the same task bodies the Celery tasks call); the bar driver hands the scans queued
back to back to one batch body (``PipelineTasks.scan_many``: one transaction per bar).
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Callable, Mapping
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

    def _pop_run(self, task: str) -> list[tuple[str, JSON]]:
        """The ``task`` entries queued right behind one just popped (same task, in order)."""
        run = []
        while self._heap and self._heap[0][2] == task:
            _, _, _, key, kwargs = heapq.heappop(self._heap)
            self._waiting.discard(key)
            self._contexts.pop(key, None)
            run.append((key, kwargs))
        return run

    def drain(
        self,
        handler: Callable[[str, JSON], Any],
        on_result: Callable[[str, JSON, Any], None] | None = None,
        limit: int = 100_000,
        batches: Mapping[str, Callable[[list[JSON]], list[Any]]] | None = None,
    ) -> int:
        """Run queued tasks (and what they queue) until empty; returns how many ran.

        ``batches`` maps a task to a body taking several kwargs: a run of that task queued
        back to back (the scans a ``plan`` submitted) is handed to it at once (in the
        first's trace context) and each result reported as its own."""
        ran = 0
        while ran < limit:
            item = self.pop()
            if item is None:
                return ran
            task, key, kwargs = item
            batch = None if batches is None else batches.get(task)
            calls = [kwargs] + [kw for _key, kw in self._pop_run(task)] if batch else [kwargs]
            with attached(self._contexts.pop(key, None)):
                results = batch(calls) if batch else [handler(task, kwargs)]
            for call, result in zip(calls, results, strict=True):
                self.ran[task] += 1
                ran += 1
                if on_result is not None:
                    on_result(task, call, result)
        raise RuntimeError(f"embedded dispatcher: more than {limit} tasks in one drain")


def run_task(tasks: Any, task: str, kwargs: JSON) -> Any:
    """Call the task body ``task`` of a :class:`~quorum.pipeline.PipelineTasks`."""
    if task not in TASK_NAMES:
        raise ValueError(f"task: must be one of {', '.join(TASK_NAMES)} (got {task!r})")
    return getattr(tasks, task)(**kwargs)
