"""The Celery application factory (``celery -A apps.worker …`` finds ``apps.worker.app``)."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.signals import (
    setup_logging,
    worker_init,
    worker_process_init,
    worker_process_shutdown,
    worker_shutdown,
)

from apps.worker.config import celery_config
from apps.worker.process import ProcessPipeline, preload
from apps.worker.schedule import beat_schedule
from apps.worker.tasks import register_tasks
from quorum.config import AppSettings, load_settings
from quorum.telemetry import configure_logging


def create_app(settings: AppSettings | None = None) -> Celery:
    """A configured Celery app with one ``quorum.<task>`` per pipeline task, the journal
    verification and the beat schedule.

    Heavy modules are imported once in the pool parent (``worker_init``); each pool process
    builds its own pipeline after the fork, on its first task, and closes it at exit
    (``worker_process_shutdown``; ``worker_shutdown`` for a solo pool).
    """
    settings = settings or load_settings()
    app = Celery("quorum", set_as_current=True)
    app.conf.update(celery_config(settings))
    app.conf.beat_schedule = beat_schedule(settings)
    process = ProcessPipeline(app, settings)
    register_tasks(app, settings.worker, process)

    def on_worker_init(**_: Any) -> None:
        preload()

    def on_process_init(**_: Any) -> None:
        process.after_fork()

    def on_shutdown(**_: Any) -> None:
        process.close()

    def on_setup_logging(loglevel: int | str | None = None, **_: Any) -> None:
        # Connected, this replaces Celery's own root-logger set-up: worker and beat log
        # through ours (JSON when logging.json is set), so lines carry trace/span ids.
        # --loglevel on the command line wins over logging.level.
        level = logging.getLevelName(loglevel) if isinstance(loglevel, int) else loglevel
        configure_logging(level or settings.logging.level, settings.logging.json_lines)

    setup_logging.connect(on_setup_logging, weak=False)
    worker_init.connect(on_worker_init, weak=False)
    worker_process_init.connect(on_process_init, weak=False)
    worker_process_shutdown.connect(on_shutdown, weak=False)
    worker_shutdown.connect(on_shutdown, weak=False)
    return app
