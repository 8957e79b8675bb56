"""Settings of the Celery workers and beat (``AppSettings.worker``).

The broker URL itself is ``AppSettings.broker_url`` (env ``QUORUM_BROKER_URL``, mandated
by the deployment contract); everything else the workers and beat need is here, and the
cross-field rules that keep the Redis broker's redelivery safe are checked on load.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from quorum.config.settings.base import ComponentSettings

QUEUES = ("scan", "analyze", "execute", "monitor")
"""The Celery queues; ``quorum.pipeline.TASK_QUEUES`` routes each task to one of them."""

TASKS: tuple[str, ...] = (
    "plan",
    "scan",
    "analyze",
    "execute",
    "monitor",
    "reconcile",
    "daily_reset",
    "refresh",
    "sweep",
)


class TaskLimits(ComponentSettings):
    """Soft limit (the task gets ``SoftTimeLimitExceeded`` and can clean up), then hard
    limit (the pool process is killed) in seconds."""

    soft_s: float = Field(gt=0)
    hard_s: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.soft_s >= self.hard_s:
            raise ValueError(f"soft_s: {self.soft_s} must be below hard_s {self.hard_s}")
        return self


def _default_limits() -> dict[str, TaskLimits]:
    def limits(soft: float, hard: float) -> TaskLimits:
        return TaskLimits(soft_s=soft, hard_s=hard)

    return {
        "plan": limits(60, 90),
        "scan": limits(240, 300),
        "analyze": limits(840, 900),
        "execute": limits(90, 120),
        "monitor": limits(60, 90),
        "reconcile": limits(240, 300),
        "daily_reset": limits(60, 90),
        "refresh": limits(840, 900),
        "sweep": limits(60, 90),
    }


def _default_priorities() -> dict[str, int]:
    # Redis serves priority 0 first (kombu polls the un-suffixed list before the others).
    return {
        "plan": 0,
        "scan": 3,
        "analyze": 3,
        "execute": 0,
        "monitor": 0,
        "reconcile": 3,
        "daily_reset": 0,
        "refresh": 9,
        "sweep": 0,
    }


def _default_concurrency() -> dict[str, int]:
    return {"scan": 2, "analyze": 2, "execute": 2, "monitor": 1}


class WorkerSettings(ComponentSettings):
    """Queues, limits, retries, the beat schedule and the reliability knobs of Celery."""

    concurrency: dict[str, int] = Field(default_factory=_default_concurrency)
    """Pool processes per queue; a worker consuming several queues gets their sum."""
    priorities: dict[str, int] = Field(default_factory=_default_priorities)
    """Message priority per task (Redis: 0 is served first, 9 last)."""
    time_limits: dict[str, TaskLimits] = Field(default_factory=_default_limits)
    max_retries: int = Field(default=8, ge=0, le=100)
    retry_backoff_s: float = Field(default=2.0, gt=0)
    """Base of the exponential backoff for ``Retryable`` errors (2, 4, 8 … s, full jitter)."""
    backoff_backoff_s: float = Field(default=15.0, gt=0)
    """Base for ``BackOff`` errors (rate limits): the same curve, a longer first pause."""
    retry_backoff_max_s: float = Field(default=600.0, gt=0)
    visibility_timeout_s: float = Field(default=3600.0, gt=0)
    """Redis redelivers a message not acknowledged within this time: it must exceed the
    longest hard time limit and the longest retry countdown (checked below)."""
    unacked_restore_interval_s: float = Field(default=10.0, gt=0)
    """How often a worker sweeps for messages whose visibility timeout has passed."""
    result_expires_s: float = Field(default=7 * 86400.0, gt=0)
    """Task results (used to skip a redelivered task that already succeeded) expire."""
    beat_redis_url: str | None = Field(default=None, min_length=1)
    """RedBeat's Redis; default: the broker URL."""
    beat_key_prefix: str = Field(default="quorum:redbeat:", min_length=1)
    beat_lock_timeout_s: float = Field(default=30.0, gt=0, le=600)
    """A standby beat takes over at most this long (plus one loop) after the active one
    died; RedBeat's own default is 25 minutes."""
    beat_max_loop_interval_s: float = Field(default=5.0, gt=0)
    plan_interval_s: float = Field(default=60.0, gt=0)
    monitor_interval_s: float = Field(default=15.0, gt=0)
    reconcile_interval_s: float = Field(default=300.0, gt=0)
    refresh_interval_s: float = Field(default=3600.0, gt=0)
    sweep_interval_s: float = Field(default=30.0, gt=0)
    """How often beat runs ``quorum.sweep`` (re-submits stranded orders, expires stale
    entries; each order's own backoff decides whether it is due)."""
    journal_verify_interval_s: float = Field(default=900.0, gt=0)
    """How often beat runs ``quorum.verify_journal`` (sets the quorum_journal_verify_* metrics)."""
    config_check_interval_s: float = Field(default=5.0, ge=0)
    """How often a worker process looks at the config file for a change (0: every task)."""
    shutdown_grace_s: float = Field(default=120.0, ge=0)
    """Cold-shutdown grace (Celery soft shutdown): running tasks get this long to finish."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for name, known, mapping in (
            ("concurrency", QUEUES, self.concurrency),
            ("priorities", TASKS, self.priorities),
            ("time_limits", TASKS, self.time_limits),
        ):
            unknown = sorted(set(mapping) - set(known))
            if unknown:
                raise ValueError(f"{name}: unknown keys {unknown} (expected {', '.join(known)})")
            missing = sorted(set(known) - set(mapping))
            if missing:
                raise ValueError(f"{name}: missing keys {missing}")
        for queue, count in self.concurrency.items():
            if not 1 <= count <= 64:
                raise ValueError(f"concurrency.{queue}: {count} must be within [1, 64]")
        for task, priority in self.priorities.items():
            if not 0 <= priority <= 9:
                raise ValueError(f"priorities.{task}: {priority} must be within [0, 9]")
        # A retried task waits (unacknowledged) for its countdown, then runs up to its hard
        # limit: the whole span must fit in the visibility timeout.
        held = self.retry_backoff_max_s + max(lim.hard_s for lim in self.time_limits.values())
        if self.visibility_timeout_s <= held:
            raise ValueError(
                f"visibility_timeout_s: {self.visibility_timeout_s} must exceed "
                f"retry_backoff_max_s + the longest hard time limit ({held}), or Redis "
                "redelivers tasks that are still running or waiting for their countdown"
            )
        if self.beat_lock_timeout_s <= 2 * self.beat_max_loop_interval_s:
            raise ValueError(
                f"beat_lock_timeout_s: {self.beat_lock_timeout_s} must exceed twice "
                f"beat_max_loop_interval_s ({self.beat_max_loop_interval_s}): the active beat "
                "renews its lock once per loop"
            )
        return self

    def concurrency_for(self, queues: tuple[str, ...]) -> int:
        """Pool size of a worker consuming ``queues``."""
        unknown = [queue for queue in queues if queue not in self.concurrency]
        if unknown:
            raise ValueError(f"queues: unknown {unknown} (expected {', '.join(QUEUES)})")
        return sum(self.concurrency[queue] for queue in queues)
