"""One worker process's wired pipeline: built after fork, rebuilt on a config change, closed
on shutdown. The prefork parent never builds one (no database connection crosses a fork)."""

from __future__ import annotations

import gc
import importlib
import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from celery import Celery, signals

from apps.worker import metrics as worker_metrics
from apps.worker.dispatcher import CeleryDispatcher
from apps.worker.reload import ConfigReloader
from quorum.config import CONFIG_PATH_VARIABLE, AppSettings, load_settings

if TYPE_CHECKING:
    from apps.bootstrap import Runtime
    from quorum.pipeline import PipelineTasks

log = logging.getLogger("quorum.worker")

PRELOAD = (
    "apps.bootstrap",
    "quorum.agents",
    "quorum.execution",
    "quorum.llm",
    "quorum.llm.vendor",  # imports LiteLLM: ~20 s
    "quorum.market",
    "quorum.risk",
    "quorum.scoring",
    "quorum.store",
)
"""Imported once in the prefork parent (``worker_init``) so that every pool process starts
with them instead of importing LangGraph and LiteLLM again (tens of seconds on a busy host)."""


def preload() -> None:
    """The pool parent's start-up, inherited by every pool process: :data:`PRELOAD` imported
    and the numba kernels loaded from ``NUMBA_CACHE_DIR`` (compiled there when missing), so
    a process's first scan is only a scan; then everything frozen (``gc.freeze``, before
    the fork as Python's documentation advises), so the children's collector passes neither
    walk it nor write to its pages. The collector is paused meanwhile: start-up only adds
    long-lived objects."""
    gc.disable()
    try:
        for name in PRELOAD:
            importlib.import_module(name)
        from quorum.analysis import warm_up_kernels

        warm_up_kernels()
    finally:
        gc.freeze()
        gc.enable()


class ProcessPipeline:
    """Holds this process's ``Runtime`` and ``PipelineTasks``."""

    def __init__(
        self,
        app: Celery,
        settings: AppSettings,
        load: Callable[[], AppSettings] = load_settings,
    ) -> None:
        self.app = app
        self.settings = settings
        self._load = load
        self._pid: int | None = None
        self._runtime: Runtime | None = None
        self._pipeline: PipelineTasks | None = None
        self._reloader: ConfigReloader | None = None
        worker_metrics.connect_task_signals()
        signals.worker_init.connect(
            self._serve_metrics, weak=False, dispatch_uid="quorum.worker.metrics.exporter"
        )

    def _serve_metrics(self, **_: object) -> None:
        """``worker_init`` (pool parent): the multiprocess exporter, when configured."""
        from apps.worker.config import PRIORITY_STEPS
        from quorum.config.settings.worker import QUEUES

        worker_metrics.start_exporter(self.settings.broker_url, QUEUES, PRIORITY_STEPS)

    def after_fork(self) -> None:
        """``worker_process_init``: drop anything inherited; start tracing in this process
        (an exporter thread does not survive a fork) when OTEL_* variables ask for it. The
        pipeline is built by the first task, not here: the pool parent gives a new process
        only a few seconds to report."""
        self._forget_inherited()
        from quorum.telemetry.tracing import configure_tracing, instrument_libraries

        if configure_tracing("quorum-worker") is not None:
            instrument_libraries(celery=True)

    def start(self) -> None:
        """Build the pipeline for this process if it has none."""
        self._forget_inherited()
        if self._pipeline is None:
            self._build(self.settings)
            self._reloader = ConfigReloader(
                os.environ.get(CONFIG_PATH_VARIABLE),
                self.settings,
                self._load,
                self.settings.worker.config_check_interval_s,
            )

    def pipeline(self) -> PipelineTasks:
        """The pipeline to run a task on, after applying a validated config change."""
        self.start()
        assert self._reloader is not None
        changed = self._reloader.poll()
        if changed is not None:
            self._close_current()
            self.settings = changed
            self._build(changed)
        assert self._pipeline is not None
        return self._pipeline

    def close(self) -> None:
        """Release the database and write the journal's shutdown checkpoint."""
        if self._pid == os.getpid():
            self._close_current()
        worker_metrics.process_exited()

    def _build(self, settings: AppSettings) -> None:
        from apps.bootstrap import build_pipeline, build_runtime

        runtime = build_runtime(settings)
        try:
            pipeline = build_pipeline(runtime, CeleryDispatcher(self.app, settings.worker))
        except BaseException:
            runtime.close()
            raise
        self._runtime, self._pipeline, self._pid = runtime, pipeline, os.getpid()
        log.info("worker process %s: pipeline ready", self._pid)

    def _close_current(self) -> None:
        pipeline, runtime = self._pipeline, self._runtime
        self._pipeline = self._runtime = None
        try:
            if pipeline is not None:
                pipeline.close()
        finally:
            if runtime is not None:
                runtime.close()

    def _forget_inherited(self) -> None:
        """A child must not use (or close) what its parent built before the fork."""
        if self._pid is not None and self._pid != os.getpid():
            if self._runtime is not None:
                self._runtime.engine.dispose(close=False)
            self._runtime = self._pipeline = self._reloader = None
            self._pid = None
