"""Worker metrics under Celery's prefork pool: Prometheus multiprocess mode.

Every pool process writes its samples to files in ``PROMETHEUS_MULTIPROC_DIR`` (which
must be in the worker's environment before it starts: prometheus-client decides at
import). The pool parent serves the merged view on ``QUORUM_WORKER_METRICS_PORT``
(unset: no exporter) and, at scrape time, the depth of each Celery queue in Redis.
Counters and histograms of exited pool processes stay in the sum (a recycled child's
work is not lost); a process's ``live*`` gauge files are removed when it exits.

Task outcomes (success / failure / retry / rejected) and durations come from Celery's
signals, so they count what Celery saw, including tasks that never reached a body.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from celery import signals
from prometheus_client import start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from quorum.telemetry.metrics import MULTIPROC_ENV, exposition_registry, metrics

PORT_ENV: Final = "QUORUM_WORKER_METRICS_PORT"
PRIORITY_SEPARATOR: Final = "\x06\x16"
"""kombu's Redis transport keeps priority ``p > 0`` of queue ``q`` in the list ``q␆␖p``."""

log = logging.getLogger("quorum.worker.metrics")
_started: dict[str, float] = {}


class QueueDepthCollector(Collector):
    """``quorum_celery_queue_depth{queue}``: messages waiting in Redis, all priorities."""

    def __init__(self, broker_url: str, queues: Sequence[str], steps: Sequence[int]) -> None:
        self.broker_url = broker_url
        self.queues = tuple(queues)
        self.steps = tuple(steps)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        import redis

        family = GaugeMetricFamily(
            "quorum_celery_queue_depth",
            "Messages waiting in the Celery queue (Redis lists, every priority step).",
            labels=("queue",),
        )
        client = redis.Redis.from_url(self.broker_url, socket_timeout=1.0)
        try:
            for queue in self.queues:
                keys = [
                    queue if step == 0 else f"{queue}{PRIORITY_SEPARATOR}{step}"
                    for step in self.steps
                ]
                depth = sum(int(client.llen(key)) for key in keys)
                family.add_metric((queue,), depth)
        except redis.RedisError as exc:
            log.warning("queue depth not read: %s", exc)
            return
        finally:
            client.close()
        yield family


def start_exporter(
    broker_url: str | None, queues: Sequence[str], steps: Sequence[int], port: int | None = None
) -> int | None:
    """In the pool parent (``worker_init``): serve the merged metrics; returns the port.

    Nothing is started without ``PROMETHEUS_MULTIPROC_DIR`` (a per-process registry would
    show only the parent, which runs no task) or without a port.
    """
    path = os.environ.get(MULTIPROC_ENV)
    if port is None:
        raw = os.environ.get(PORT_ENV, "")
        port = int(raw) if raw.strip() else None
    if not path or port is None:
        return None
    clear_dead_files(Path(path))
    registry = exposition_registry()
    if broker_url:
        registry.register(QueueDepthCollector(broker_url, queues, steps))
    server, _thread = start_http_server(port, registry=registry)
    bound = int(server.server_address[1])
    log.info("worker metrics on :%s (multiprocess dir %s)", bound, path)
    return bound


def clear_dead_files(path: Path) -> None:
    """A fresh worker starts from empty files: leftovers belong to a previous run's pids."""
    path.mkdir(parents=True, exist_ok=True)
    for item in path.glob("*.db"):
        item.unlink(missing_ok=True)


def process_exited(pid: int | None = None) -> None:
    """``worker_process_shutdown``: drop this process's live gauges from the merged view."""
    path = os.environ.get(MULTIPROC_ENV)
    if path:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid(), path)  # type: ignore[no-untyped-call]


def _task_name(sender: Any) -> str:
    name = str(getattr(sender, "name", "") or "")
    return name.removeprefix("quorum.") if name.startswith("quorum.") else "other"


def _on_prerun(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


def _on_postrun(sender: Any = None, task_id: str | None = None, **_: Any) -> None:
    began = _started.pop(task_id or "", None)
    if began is not None:
        metrics().task_latency.labels(_task_name(sender)).observe(time.perf_counter() - began)


def _outcome(outcome: str) -> Any:
    def record(sender: Any = None, **_: Any) -> None:
        metrics().tasks.labels(_task_name(sender), outcome).inc()

    return record


def _on_rejected(message: Any = None, **_: Any) -> None:
    metrics().tasks.labels("other", "rejected").inc()


_HANDLERS = {
    "task_prerun": _on_prerun,
    "task_postrun": _on_postrun,
    "task_success": _outcome("success"),
    "task_failure": _outcome("failure"),
    "task_retry": _outcome("retry"),
    "task_rejected": _on_rejected,
}


def connect_task_signals() -> None:
    """Count task outcomes and durations (idempotent: one receiver per signal)."""
    for name, handler in _HANDLERS.items():
        getattr(signals, name).connect(handler, weak=False, dispatch_uid=f"quorum.metrics.{name}")


__all__ = [
    "PORT_ENV",
    "QueueDepthCollector",
    "clear_dead_files",
    "connect_task_signals",
    "process_exited",
    "start_exporter",
]
