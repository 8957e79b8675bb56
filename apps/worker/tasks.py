"""The Celery tasks: ``quorum.<task>`` → ``PipelineTasks.<task>(**kwargs)``. No logic here
beyond retry policy: ``Retryable`` errors retry with exponential backoff and full jitter
(``BackOff`` from a longer base); every other error fails the task, which is acknowledged."""

from __future__ import annotations

import math
from typing import Any

from celery import Celery, Task
from celery.utils.time import get_exponential_backoff_interval

from apps.worker.process import ProcessPipeline
from quorum.config.settings.worker import WorkerSettings
from quorum.errors import BackOff, Retryable
from quorum.pipeline import TASK_NAMES


def retry_countdown(settings: WorkerSettings, error: Exception, retries: int) -> int:
    """Seconds before retry number ``retries + 1``: full jitter over ``base · 2^retries``."""
    base = settings.backoff_backoff_s if isinstance(error, BackOff) else settings.retry_backoff_s
    return int(
        get_exponential_backoff_interval(
            factor=math.ceil(base),
            retries=retries,
            maximum=math.floor(settings.retry_backoff_max_s),
            full_jitter=True,
        )
    )


def register_tasks(app: Celery, settings: WorkerSettings, process: ProcessPipeline) -> None:
    """Register one Celery task per pipeline task, with its limits and priority."""
    for name in TASK_NAMES:
        _register(app, settings, process, name)


def _register(app: Celery, settings: WorkerSettings, process: ProcessPipeline, name: str) -> None:
    limits = settings.time_limits[name]

    def run(self: Task[Any, Any], **kwargs: Any) -> Any:
        body = getattr(process.pipeline(), name)
        try:
            return body(**kwargs)
        except Retryable as exc:
            raise self.retry(
                exc=exc,
                countdown=retry_countdown(settings, exc, self.request.retries),
                max_retries=settings.max_retries,
            ) from exc

    run.__name__ = run.__qualname__ = f"quorum_{name}"
    run.__doc__ = f"quorum.{name}: ``PipelineTasks.{name}`` in this worker process."
    app.task(
        name=f"quorum.{name}",
        bind=True,
        soft_time_limit=limits.soft_s,
        time_limit=limits.hard_s,
        acks_late=True,
        reject_on_worker_lost=True,
        typing=False,
        shared=False,  # this app only: never leak into another Celery app in the process
    )(run)
