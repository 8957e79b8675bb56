"""The beat schedule (run by RedBeat: one active beat, standby beats wait on its lock).

``plan`` runs often and decides itself which scans are due (bar close + finalization
delay, volatility-adaptive intervals), so the schedule stays small and static.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from celery.schedules import crontab

from quorum.config import AppSettings

VERIFY_JOURNAL: Final = "quorum.verify_journal"
"""The periodic journal verification (not a pipeline task: it only reads and reports)."""
VERIFY_JOURNAL_QUEUE: Final = "monitor"
VERIFY_JOURNAL_PRIORITY: Final = 9
"""Served after everything else waiting in its queue (Redis: 9 is the last step)."""


def beat_schedule(settings: AppSettings) -> dict[str, dict[str, Any]]:
    """Entries by name. Interval tasks expire after one interval: when workers were down,
    a backlog of stale ``plan`` / ``monitor`` runs is dropped instead of replayed."""
    worker = settings.worker
    account = settings.risk.account  # the reset time and zone the pipeline trades with
    reset = account.reset_time

    def every(task: str, seconds: float) -> dict[str, Any]:
        return {
            "task": f"quorum.{task}",
            "schedule": timedelta(seconds=seconds),
            "options": {"expires": seconds, "priority": worker.priorities[task]},
        }

    return {
        "quorum.plan": every("plan", worker.plan_interval_s),
        "quorum.monitor": every("monitor", worker.monitor_interval_s),
        "quorum.reconcile": every("reconcile", worker.reconcile_interval_s),
        "quorum.refresh": every("refresh", worker.refresh_interval_s),
        # Re-submits orders stranded new / unknown (backoff per order) and expires stale
        # entries: the one sweeper, in every deployment that runs beat.
        "quorum.sweep": every("sweep", worker.sweep_interval_s),
        # Local wall-clock time in the risk settings' zone (the Celery app's timezone).
        # No expiry: a reset that was missed while workers were down still has to happen.
        "quorum.daily_reset": {
            "task": "quorum.daily_reset",
            "schedule": crontab(minute=str(reset.minute), hour=str(reset.hour)),
            "options": {"priority": worker.priorities["daily_reset"]},
        },
        # Sets the quorum_journal_verify_* gauges the QuorumJournalDamaged alert reads.
        VERIFY_JOURNAL: {
            "task": VERIFY_JOURNAL,
            "schedule": timedelta(seconds=worker.journal_verify_interval_s),
            "options": {
                "expires": worker.journal_verify_interval_s,
                "queue": VERIFY_JOURNAL_QUEUE,
                "priority": VERIFY_JOURNAL_PRIORITY,
            },
        },
    }
