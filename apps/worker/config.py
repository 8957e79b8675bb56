"""The Celery configuration, derived from :class:`AppSettings` (each setting with its reason).

This is the one place the reliability choices are made; ``docs/ARCHITECTURE.md`` ("Worker
and beat") tables them and ``tests/integration/worker`` checks them against this dict.
"""

from __future__ import annotations

from typing import Any

from kombu.entity import Queue

from apps.worker.schedule import VERIFY_JOURNAL, VERIFY_JOURNAL_PRIORITY, VERIFY_JOURNAL_QUEUE
from quorum.config import AppSettings
from quorum.config.settings.worker import QUEUES, WorkerSettings
from quorum.errors import ConfigError
from quorum.pipeline import TASK_QUEUES

PRIORITY_STEPS = [0, 3, 6, 9]
"""Redis keeps one list per step (kombu polls them in this order, 0 first)."""


def broker_url(settings: AppSettings) -> str:
    """The Celery broker, refusing to start a worker or beat without one."""
    if settings.broker_url is None:
        raise ConfigError(
            "broker_url: QUORUM_BROKER_URL is not set; workers and beat need a Celery broker "
            "(e.g. redis://127.0.0.1:6379/1). Without one the pipeline runs in-process "
            "(`quorum run`)."
        )
    return settings.broker_url


def task_routes(worker: WorkerSettings) -> dict[str, dict[str, Any]]:
    """``quorum.<task>`` → its queue (``quorum.pipeline.TASK_QUEUES``) and priority, so
    every sender (beat, dispatcher, ``celery call``) routes the same way."""
    routes = {
        f"quorum.{task}": {"queue": queue, "priority": worker.priorities[task]}
        for task, queue in TASK_QUEUES.items()
    }
    routes[VERIFY_JOURNAL] = {"queue": VERIFY_JOURNAL_QUEUE, "priority": VERIFY_JOURNAL_PRIORITY}
    return routes


def celery_config(settings: AppSettings) -> dict[str, Any]:
    """Every Celery setting we set, with why. Nothing here reads the environment."""
    worker = settings.worker
    url = broker_url(settings)
    visibility = int(worker.visibility_timeout_s)
    return {
        "broker_url": url,
        # Redis transport: the visibility timeout must exceed the longest hard time limit
        # plus the longest retry countdown (WorkerSettings checks it), else Redis hands a
        # running or waiting (eta/countdown) task to a second worker. A lost worker's task
        # comes back after it: late, never lost. Priorities use all four steps, and a
        # worker consuming several queues polls them in the order given (execute first).
        # The socket/health settings make a worker notice a dead or restarted Redis
        # within seconds instead of blocking forever on a half-open connection.
        "broker_transport_options": {
            "visibility_timeout": visibility,
            "unacked_restore_interval": max(1, int(worker.unacked_restore_interval_s)),
            "unacked_restore_throttle": 1,
            "priority_steps": PRIORITY_STEPS,
            "queue_order_strategy": "priority",
            "socket_timeout": 30,
            "socket_connect_timeout": 10,
            "health_check_interval": 10,
            "retry_on_timeout": True,
        },
        # Retry the broker forever, at start-up too: a worker outlives a Redis restart.
        "broker_connection_retry": True,
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,
        # Results live in Redis only so that a *redelivered* task which already succeeded
        # is skipped (worker_deduplicate_successful_tasks); the database is the record.
        # They expire so that a noeviction Redis does not fill up.
        "result_backend": url,
        "result_backend_transport_options": {"visibility_timeout": visibility},
        "result_expires": int(worker.result_expires_s),
        "worker_deduplicate_successful_tasks": True,
        # JSON only: task arguments are JSON by contract; pickle would run code on load.
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        # Acknowledge after the task body returns, not when it is received: a worker that
        # dies mid-task leaves the message to be redelivered (bodies are idempotent by key).
        "task_acks_late": True,
        # A pool process killed mid-task (OOM, SIGKILL, hard time limit) puts the message
        # back at once instead of acknowledging it as failed.
        "task_reject_on_worker_lost": True,
        # A task that raised a non-retryable error is acknowledged (no poison loop); its
        # failure is logged and journaled by the body.
        "task_acks_on_failure_or_timeout": True,
        # Reserve one message per pool process: a busy worker does not hoard tasks that an
        # idle one could run, and a crash strands at most one message per process.
        "worker_prefetch_multiplier": 1,
        # A Redis outage must not kill an execute mid-send; its message is acknowledged after
        # reconnecting or redelivered after the visibility timeout, and the copy reconciles.
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        # Cold shutdown (second signal) still gives running tasks this long to finish, and
        # an idle worker's waiting countdown tasks go back to Redis right away.
        "worker_soft_shutdown_timeout": worker.shutdown_grace_s,
        "worker_enable_soft_shutdown_on_idle": True,
        # Default limits; each task overrides them with its own (WorkerSettings.time_limits).
        "task_soft_time_limit": worker.time_limits["analyze"].soft_s,
        "task_time_limit": worker.time_limits["analyze"].hard_s,
        "task_track_started": True,
        "task_queues": [Queue(name, routing_key=name) for name in QUEUES],  # type: ignore[no-untyped-call]
        "task_default_queue": "scan",
        "task_routes": task_routes(worker),
        "task_default_priority": 3,
        "task_inherit_parent_priority": False,
        # Times are UTC on the wire; crontab entries (the daily reset) are computed in the
        # risk settings' time zone, so the reset happens at local wall-clock time across DST.
        "enable_utc": True,
        "timezone": settings.risk.account.timezone,
        "worker_send_task_events": False,
        # RedBeat: one active beat, a short lock so a standby takes over quickly.
        "beat_scheduler": "redbeat.RedBeatScheduler",
        "beat_max_loop_interval": worker.beat_max_loop_interval_s,
        "redbeat_redis_url": worker.beat_redis_url or url,
        "redbeat_key_prefix": worker.beat_key_prefix,
        "redbeat_lock_timeout": int(worker.beat_lock_timeout_s),
        "redbeat_redis_options": {"retry_period": -1},
    }
