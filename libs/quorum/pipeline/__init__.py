"""Stage services and task bodies: compose the I/O edges and the pure core into the pipeline.

The Celery tasks, ``quorum run`` and the backtester call these, so every entry point
runs the same code. :class:`PipelineTasks` holds the task bodies (``plan``, ``scan``,
``analyze``, ``execute``, ``monitor``, ``reconcile``, ``daily_reset``, ``refresh``, plus
``status``, ``signals`` and the kill switch); a :class:`Dispatcher` carries follow-up work
(Celery's ``send_task`` or the in-process :class:`EmbeddedDispatcher`).
"""

from quorum.pipeline.deps import JSON, Dispatcher, PipelineDeps, QuoteFeed
from quorum.pipeline.embedded import PRIORITY, EmbeddedDispatcher, run_task
from quorum.pipeline.journaling import StageJournal, scan_payload
from quorum.pipeline.planning import DueScan, check_interval, due_scans
from quorum.pipeline.prices import PaperBarFeed, latest_bar
from quorum.pipeline.reports import (
    KillSwitchView,
    LockoutView,
    OrderView,
    PnlView,
    PositionView,
    SafeModeView,
    ScoreItem,
    SignalRecord,
    StatusReport,
)
from quorum.pipeline.scan import ScanStage, history_start
from quorum.pipeline.settings import PipelineSettings
from quorum.pipeline.tasks import TASK_NAMES, TASK_QUEUES, PipelineTasks, task_key

__all__ = [
    "JSON",
    "PRIORITY",
    "TASK_NAMES",
    "TASK_QUEUES",
    "Dispatcher",
    "DueScan",
    "EmbeddedDispatcher",
    "KillSwitchView",
    "LockoutView",
    "OrderView",
    "PaperBarFeed",
    "PipelineDeps",
    "PipelineSettings",
    "PipelineTasks",
    "PnlView",
    "PositionView",
    "QuoteFeed",
    "SafeModeView",
    "ScanStage",
    "ScoreItem",
    "SignalRecord",
    "StageJournal",
    "StatusReport",
    "check_interval",
    "due_scans",
    "history_start",
    "latest_bar",
    "run_task",
    "scan_payload",
    "task_key",
]
