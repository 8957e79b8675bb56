"""The per-worker exporter (Prometheus multiprocess mode) and the Celery queue-depth
collector, scraped over HTTP and parsed with prometheus-client's own parser.

The exporter runs in a subprocess the way a prefork pool parent runs it: the multiprocess
directory is in its environment before prometheus-client is imported, ``start_exporter``
serves on a free loopback port, and forked children record task outcomes and the journal
verification, then exit as recycled pool processes do. The queues hold real Celery
messages, sent with our Celery configuration (priority steps and all) to the real Redis.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from apps.worker.config import PRIORITY_STEPS, celery_config
from apps.worker.metrics import QueueDepthCollector, start_exporter
from quorum.config import AppSettings
from quorum.config.settings.worker import QUEUES

ROOT = Path(__file__).resolve().parents[3]

EXPORTER = textwrap.dedent(
    """
    import json, multiprocessing, sys
    from datetime import UTC, datetime
    from celery import signals
    from apps.worker import metrics as worker_metrics
    from apps.worker.config import PRIORITY_STEPS
    from quorum.config.settings.worker import QUEUES
    from quorum.telemetry.metrics import metrics

    port = worker_metrics.start_exporter(sys.argv[1], QUEUES, PRIORITY_STEPS, 0)
    worker_metrics.connect_task_signals()

    def pool_process(successes, ok, first_bad, finished):
        scan = type("ScanTask", (), {"name": "quorum.scan"})  # a sender with a task's name
        for _ in range(successes):
            signals.task_success.send(sender=scan)
        signals.task_failure.send(sender=scan)
        m = metrics()
        m.record_journal_verification(ok)
        m.record_journal_details(10, first_bad, datetime.fromtimestamp(finished, UTC))
        worker_metrics.process_exited()  # worker_process_shutdown

    fork = multiprocessing.get_context("fork")
    for args in ((3, True, None, 1000.0), (4, False, 7, 2000.0)):
        child = fork.Process(target=pool_process, args=args)
        child.start()
        child.join()
        assert child.exitcode == 0, child.exitcode
    print(json.dumps({"port": port}), flush=True)
    sys.stdin.read()  # serve until the test closes our stdin
    """
)

STALE = textwrap.dedent(
    """
    from quorum.telemetry.metrics import metrics
    metrics().tasks.labels("scan", "success").inc(100)
    """
)


def _env(directory: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUORUM_")}
    env["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "libs"), str(ROOT)])
    return env


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return _samples(response.read().decode())


def _sender(broker: str) -> Celery:
    app = Celery("quorum-test-sender", set_as_current=False)
    app.conf.update(celery_config(AppSettings(broker_url=broker)))
    return app


def _enqueue(app: Celery, queue: str, priorities: list[int]) -> None:
    for priority in priorities:
        app.send_task(f"quorum.{queue}", kwargs={}, queue=queue, priority=priority)


def _depth(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], queue: str) -> float:
    return samples[("quorum_celery_queue_depth", (("queue", queue),))]


@pytest.fixture
def exporter(tmp_path: Path, clean_redis: str) -> Iterator[int]:
    directory = tmp_path / "metrics"
    directory.mkdir()
    env = _env(directory)
    # A previous run's pool process left its counts behind: the new parent must drop them.
    subprocess.run([sys.executable, "-c", STALE], env=env, check=True, timeout=60)
    assert list(directory.glob("counter_*.db"))
    proc = subprocess.Popen(
        [sys.executable, "-c", EXPORTER, clean_redis],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, f"the exporter process exited with {proc.wait(timeout=10)}"
        yield int(json.loads(line)["port"])
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=20)


def test_exporter_merges_pool_processes_and_serves_real_queue_depths(
    exporter: int, clean_redis: str
) -> None:
    sender = _sender(clean_redis)
    _enqueue(sender, "analyze", [3, 3, 9, 0])  # three of kombu's four priority lists
    _enqueue(sender, "execute", [0, 0])

    first = _scrape(exporter)

    def value(name: str, **labels: str) -> float:
        return first[(name, tuple(sorted(labels.items())))]

    # Counters sum over both (exited) pool processes; the stale run's 100 is gone.
    assert value("quorum_tasks_total", task="scan", outcome="success") == 7
    assert value("quorum_tasks_total", task="scan", outcome="failure") == 2
    assert value("quorum_journal_verifications_total", result="ok") == 1
    assert value("quorum_journal_verifications_total", result="failed") == 1
    # mostrecent gauges: one series (no pid label), the later run's values, kept after exit.
    assert value("quorum_journal_verify_ok") == 0
    assert value("quorum_journal_verify_first_bad_seq") == 7
    assert value("quorum_journal_verify_last_run_timestamp_seconds") == 2000.0
    assert value("quorum_journal_verified_entries") == 10
    assert not [k for k in first if k[0].startswith("quorum_journal") and dict(k[1]).get("pid")]
    # Queue depths: the Redis lists of every priority step, read at scrape time.
    assert {q: _depth(first, q) for q in QUEUES} == {
        "scan": 0,
        "analyze": 4,
        "execute": 2,
        "monitor": 0,
    }
    _enqueue(sender, "monitor", [6])
    _enqueue(sender, "analyze", [6])
    second = _scrape(exporter)
    assert _depth(second, "monitor") == 1
    assert _depth(second, "analyze") == 5
    sender.close()


def test_queue_depth_collector_counts_every_priority_list_in_redis(clean_redis: str) -> None:
    sender = _sender(clean_redis)
    _enqueue(sender, "scan", [0, 3, 6, 9, 9])
    registry = CollectorRegistry()
    registry.register(QueueDepthCollector(clean_redis, QUEUES, PRIORITY_STEPS))

    depths = _samples(generate_latest(registry).decode())

    assert _depth(depths, "scan") == 5
    assert _depth(depths, "analyze") == 0
    # Only the default step: the other lists are not counted.
    registry = CollectorRegistry()
    registry.register(QueueDepthCollector(clean_redis, QUEUES, [0]))
    assert _depth(_samples(generate_latest(registry).decode()), "scan") == 1
    sender.close()


def test_queue_depth_collector_without_redis_drops_the_family_and_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = CollectorRegistry()
    registry.register(QueueDepthCollector("redis://127.0.0.1:1/0", QUEUES, PRIORITY_STEPS))

    with caplog.at_level(logging.WARNING, logger="quorum.worker.metrics"):
        text = generate_latest(registry).decode()

    assert "quorum_celery_queue_depth" not in text
    assert any("queue depth not read" in r.getMessage() for r in caplog.records)


def test_exporter_is_off_without_multiprocess_dir_or_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.delenv("QUORUM_WORKER_METRICS_PORT", raising=False)
    assert start_exporter(None, QUEUES, PRIORITY_STEPS, 0) is None
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    assert start_exporter(None, QUEUES, PRIORITY_STEPS) is None  # no port variable
