"""The Celery tasks: ``quorum.<task>`` → ``PipelineTasks.<task>(**kwargs)``. No logic here
beyond retry policy: ``Retryable`` errors retry with exponential backoff and full jitter
(``BackOff`` from a longer base); every other error fails the task, which is acknowledged.

``quorum.verify_journal`` (beat, every ``worker.journal_verify_interval_s``) runs
``Journal.verify`` in a worker and publishes its result as metrics; it never retries (the
next run comes soon enough) and changes nothing."""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

from celery import Celery, Task
from celery.utils.time import get_exponential_backoff_interval

from apps.worker.process import ProcessPipeline
from apps.worker.schedule import VERIFY_JOURNAL
from quorum.config.settings.worker import WorkerSettings
from quorum.errors import BackOff, Retryable
from quorum.journal import explain_orders
from quorum.pipeline import TASK_NAMES
from quorum.telemetry.metrics import metrics

if TYPE_CHECKING:
    from quorum.clock import Clock
    from quorum.journal import Journal

log = logging.getLogger("quorum.worker.journal")

VERIFY_SOFT_LIMIT_MAX_S = 1800.0
"""A verification gets its interval (at most this) before the soft time limit stops it."""


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
    """Register one Celery task per pipeline task, with its limits and priority, and the
    periodic journal verification."""
    for name in TASK_NAMES:
        _register(app, settings, process, name)
    _register_verify_journal(app, settings, process)


def verify_journal(journal: Journal, clock: Clock) -> dict[str, Any]:
    """Verify the chain against the configured checkpoint store with the signer's key
    trusted (``Journal.verify``, which sets ``quorum_journal_verify_ok`` and counts
    ``quorum_journal_verifications_total``), then record entries walked, the first bad
    seq and when it finished; log the outcome (an error naming the seq when damaged)."""
    report = journal.verify()
    metrics().record_journal_details(report.count, report.first_bad_seq, clock.now())
    damage = None if report.damage is None else report.damage.value
    fields: dict[str, Any] = {
        "entries": report.count,
        "first_bad_seq": report.first_bad_seq,
        "damage": damage,
    }
    summary = report.summary()
    ok = report.ok
    if ok:  # then the explanation invariant: every order preceded by its decision
        explained = explain_orders(journal.engine)
        first = explained.first_unexplained
        fields["unexplained_seq"] = None if first is None else first.seq
        if first is not None:
            ok, summary = False, explained.summary()
    if ok:
        log.info("journal verification passed: %s", summary, extra=fields)
    else:
        log.error("journal verification FAILED: %s", summary, extra=fields)
    return {"ok": ok, **fields, "summary": summary}


def _register_verify_journal(
    app: Celery, settings: WorkerSettings, process: ProcessPipeline
) -> None:
    soft = min(settings.journal_verify_interval_s, VERIFY_SOFT_LIMIT_MAX_S)

    def run(self: Task[Any, Any]) -> dict[str, Any]:
        deps = process.pipeline().deps
        return verify_journal(deps.journal, deps.clock)

    run.__name__ = run.__qualname__ = "quorum_verify_journal"
    run.__doc__ = "quorum.verify_journal: the periodic journal verification, as metrics."
    app.task(
        name=VERIFY_JOURNAL,
        bind=True,
        soft_time_limit=soft,
        time_limit=soft + 60,
        acks_late=True,
        typing=False,
        shared=False,
    )(run)


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
