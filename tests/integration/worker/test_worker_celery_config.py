"""The Celery configuration: reliability settings, routing, priorities, limits, beat."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from apps.worker.config import broker_url, celery_config
from apps.worker.dispatcher import CeleryDispatcher
from apps.worker.factory import create_app
from apps.worker.schedule import beat_schedule
from quorum.config import load_settings
from quorum.config.settings.worker import WorkerSettings
from quorum.errors import ConfigError
from quorum.pipeline import TASK_NAMES, TASK_QUEUES

ROOT = Path(__file__).resolve().parents[3]
BROKER = "redis://127.0.0.1:1/0"


def settings(**env: str) -> Any:
    return load_settings({"QUORUM_BROKER_URL": BROKER, **env})


def test_reliability_settings_are_on_by_default() -> None:
    conf = celery_config(settings())
    assert conf["task_acks_late"] is True
    assert conf["task_reject_on_worker_lost"] is True
    assert conf["worker_prefetch_multiplier"] == 1
    assert conf["task_serializer"] == conf["result_serializer"] == "json"
    assert conf["accept_content"] == ["json"]
    assert conf["broker_connection_retry_on_startup"] is True
    assert conf["broker_connection_max_retries"] is None
    assert conf["worker_deduplicate_successful_tasks"] is True
    assert conf["result_backend"] == BROKER


def test_visibility_timeout_exceeds_every_limit_and_countdown() -> None:
    worker = WorkerSettings()
    conf = celery_config(settings())
    visibility = conf["broker_transport_options"]["visibility_timeout"]
    longest = max(limit.hard_s for limit in worker.time_limits.values())
    assert visibility > longest + worker.retry_backoff_max_s
    assert conf["result_backend_transport_options"]["visibility_timeout"] == visibility


def test_a_visibility_timeout_shorter_than_a_task_is_refused() -> None:
    with pytest.raises(ConfigError, match="visibility_timeout_s"):
        settings(QUORUM_WORKER__VISIBILITY_TIMEOUT_S="600")


def test_beat_lock_is_short_and_must_outlast_two_loops() -> None:
    conf = celery_config(settings())
    assert conf["redbeat_lock_timeout"] <= 60  # RedBeat's own default is 1500 s
    assert conf["beat_scheduler"] == "redbeat.RedBeatScheduler"
    assert conf["redbeat_redis_url"] == BROKER
    with pytest.raises(ConfigError, match="beat_lock_timeout_s"):
        settings(
            QUORUM_WORKER__BEAT_LOCK_TIMEOUT_S="8", QUORUM_WORKER__BEAT_MAX_LOOP_INTERVAL_S="5"
        )


def test_quorum_broker_url_is_the_celery_broker_and_unset_is_refused() -> None:
    assert broker_url(settings()) == BROKER
    with pytest.raises(ConfigError, match="QUORUM_BROKER_URL"):
        broker_url(load_settings({}))


def test_every_task_routes_to_its_queue_with_its_limits_and_priority() -> None:
    app = create_app(settings())
    worker = WorkerSettings()
    for name in TASK_NAMES:
        task = app.tasks[f"quorum.{name}"]
        route = app.amqp.router.route({}, f"quorum.{name}")
        assert route["queue"].name == TASK_QUEUES[name], name
        assert task.time_limit == worker.time_limits[name].hard_s
        assert task.soft_time_limit == worker.time_limits[name].soft_s
        assert route["priority"] == worker.priorities[name]
        assert task.acks_late is True
    assert {q.name for q in app.conf.task_queues} == {"scan", "analyze", "execute", "monitor"}


def test_execute_outranks_analysis_and_refresh_is_last() -> None:
    priorities = WorkerSettings().priorities  # Redis: 0 is served first
    assert priorities["execute"] == 0
    assert priorities["execute"] < priorities["analyze"] < priorities["refresh"]


def test_concurrency_is_per_queue_group() -> None:
    worker = WorkerSettings()
    assert worker.concurrency_for(("execute",)) == worker.concurrency["execute"]
    assert worker.concurrency_for(("scan", "monitor")) == 3
    with pytest.raises(ValueError, match="unknown"):
        worker.concurrency_for(("executes",))


class RecordingApp:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send_task(self, name: str, **options: Any) -> None:
        self.sent.append((name, options))


def test_dispatcher_sends_with_the_key_as_task_id_to_the_tasks_queue() -> None:
    app = RecordingApp()
    dispatcher = CeleryDispatcher(app, WorkerSettings())  # type: ignore[arg-type]
    dispatcher.submit("execute", {"client_order_id": "q1"}, key="execute:q1")
    assert app.sent == [
        (
            "quorum.execute",
            {
                "kwargs": {"client_order_id": "q1"},
                "task_id": "execute:q1",
                "queue": "execute",
                "priority": 0,
            },
        )
    ]
    with pytest.raises(ValueError, match="task"):
        dispatcher.submit("trade", {}, key="k")
    with pytest.raises(ValueError, match="key"):
        dispatcher.submit("scan", {}, key="")


def test_beat_schedule_reads_its_intervals_from_worker_settings() -> None:
    entries = beat_schedule(
        settings(
            QUORUM_WORKER__PLAN_INTERVAL_S="30",
            QUORUM_WORKER__MONITOR_INTERVAL_S="7",
            QUORUM_WORKER__SWEEP_INTERVAL_S="20",
        )
    )
    assert set(entries) == {
        "quorum.plan",
        "quorum.monitor",
        "quorum.reconcile",
        "quorum.refresh",
        "quorum.sweep",
        "quorum.daily_reset",
        "quorum.verify_journal",
    }
    assert entries["quorum.plan"]["schedule"] == timedelta(seconds=30)
    assert entries["quorum.plan"]["options"]["expires"] == 30
    assert entries["quorum.monitor"]["schedule"] == timedelta(seconds=7)
    assert entries["quorum.sweep"]["schedule"] == timedelta(seconds=20)
    assert entries["quorum.sweep"]["options"]["expires"] == 20
    for name, entry in entries.items():
        assert entry["task"] == name


def test_daily_reset_runs_at_the_risk_reset_time_in_its_time_zone(tmp_path: Path) -> None:
    config = tmp_path / "quorum.yaml"
    config.write_text(
        "risk:\n  account:\n    reset_time: '17:30'\n    timezone: America/New_York\n"
    )
    loaded = load_settings({"QUORUM_BROKER_URL": BROKER}, config_path=str(config))
    assert loaded.risk.account.reset_time == time(17, 30)
    app = create_app(loaded)
    assert app.conf.timezone == "America/New_York"
    schedule = app.conf.beat_schedule["quorum.daily_reset"]["schedule"]
    schedule.app = app
    # Across the March DST change the reset stays at 17:30 local time.
    last = datetime(2025, 3, 8, 17, 30, tzinfo=ZoneInfo("America/New_York"))
    # remaining_delta gives (start, delta, now); the next run is start + delta, which
    # does not depend on the machine's clock (remaining_estimate subtracts "now").
    start, delta, _now = schedule.remaining_delta(last)
    due = start + delta
    assert due.astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None) == datetime(
        2025, 3, 9, 17, 30
    )
    assert due.astimezone(ZoneInfo("UTC")).hour == 21  # EDT (UTC-4) after the change


def test_documented_reliability_settings_match_the_configuration() -> None:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("## Worker and beat", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_.]+)` \| `([^`]+)` \|", section, flags=re.MULTILINE)
    assert len(rows) >= 8, "the Worker and beat section tables the reliability settings"
    conf = celery_config(settings())
    for name, value in rows:
        actual: Any = conf
        for part in name.split("."):
            actual = actual[part]
        assert repr(actual) == value or str(actual) == value, (name, value, actual)


def test_the_app_is_built_on_first_access_not_at_import() -> None:
    import apps.worker as package

    assert "app" not in vars(package)
    assert package.get_app.cache_info().currsize == 0


def test_redis_conf_never_evicts_and_persists() -> None:
    lines = (ROOT / "infra" / "redis" / "redis.conf").read_text(encoding="utf-8").splitlines()
    directives = dict(
        line.split(None, 1) for line in lines if line.strip() and not line.startswith("#")
    )
    assert directives["maxmemory-policy"] == "noeviction"
    assert directives["appendonly"] == "yes"
    assert directives["appendfsync"] in ("always", "everysec")
