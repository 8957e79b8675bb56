"""The Celery implementation of ``quorum.pipeline.Dispatcher``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import Celery

from quorum.config import AppSettings
from quorum.config.settings.worker import WorkerSettings
from quorum.pipeline import TASK_NAMES, TASK_QUEUES, Dispatcher, EmbeddedDispatcher


class CeleryDispatcher:
    """``submit`` sends ``quorum.<task>`` with ``task_id=key`` to the task's queue.

    The key is the body's derived idempotency key: a task sent twice under one key (a
    redelivered parent submitting again) runs its body twice and the body's key makes the
    second run a no-op; Celery also skips a *redelivered* message whose id already
    succeeded.
    """

    def __init__(self, app: Celery, settings: WorkerSettings) -> None:
        self.app = app
        self.priorities = dict(settings.priorities)

    def submit(self, task: str, kwargs: dict[str, Any], *, key: str) -> None:
        if task not in TASK_NAMES:
            raise ValueError(f"task: must be one of {', '.join(TASK_NAMES)} (got {task!r})")
        if not key:
            raise ValueError(f"key: a derived idempotency key is required for {task}")
        self.app.send_task(
            f"quorum.{task}",
            kwargs=kwargs,
            task_id=key,
            queue=TASK_QUEUES[task],
            priority=self.priorities[task],
        )


def pipeline_dispatcher(settings: AppSettings) -> tuple[Dispatcher, Callable[[], None]]:
    """Where a command process's pipeline sends follow-up work (e.g. the kill switch's
    nudge to the workers' monitor): Celery when a broker is set, else in-process; and what
    closes it."""
    if settings.broker_url is None:
        return EmbeddedDispatcher(), lambda: None
    from apps.worker.config import celery_config

    celery = Celery("quorum-command", set_as_current=False)
    celery.conf.update(celery_config(settings))
    return CeleryDispatcher(celery, settings.worker), celery.close
