"""Config hot reload (accept a valid change, refuse an invalid one) and the retry policy."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from celery import Celery

from apps.worker.reload import ConfigReloader
from apps.worker.tasks import register_tasks, retry_countdown
from quorum.config import AppSettings, load_settings
from quorum.config.settings.worker import WorkerSettings
from quorum.errors import BackOff, BrokerRateLimited, BrokerTransient, Retryable


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def reloader(path: Path, interval: float = 5.0) -> tuple[ConfigReloader, Ticker]:
    ticker = Ticker()

    def load() -> AppSettings:
        return load_settings({}, config_path=str(path))

    return ConfigReloader(str(path), load(), load, interval, monotonic=ticker), ticker


def test_a_valid_change_is_applied_after_the_check_interval(tmp_path: Path) -> None:
    config = tmp_path / "quorum.yaml"
    config.write_text("logging:\n  level: INFO\n")
    watch, ticker = reloader(config)
    config.write_text("logging:\n  level: DEBUG\n")
    assert watch.poll() is None  # not yet time to look
    ticker.now = 5.0
    applied = watch.poll()
    assert applied is not None
    assert applied.logging.level == "DEBUG"
    assert watch.current.logging.level == "DEBUG"
    ticker.now = 10.0
    assert watch.poll() is None  # unchanged since


def test_an_invalid_change_is_refused_logged_once_and_the_old_config_stays(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "quorum.yaml"
    config.write_text("logging:\n  level: INFO\n")
    watch, _ = reloader(config, interval=0)
    config.write_text("logging:\n  level: LOUD\n")
    with caplog.at_level(logging.ERROR, logger="quorum.worker.reload"):
        assert watch.poll() is None
        assert watch.poll() is None
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1
    assert "logging.level" in refusals[0].getMessage()
    assert watch.current.logging.level == "INFO"
    config.write_text("logging:\n  level: WARNING\n")
    applied = watch.poll()
    assert applied is not None
    assert applied.logging.level == "WARNING"


def test_unparsable_yaml_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "quorum.yaml"
    config.write_text("logging:\n  level: INFO\n")
    watch, _ = reloader(config, interval=0)
    config.write_text("logging: [unclosed\n")
    assert watch.poll() is None
    assert watch.current.logging.level == "INFO"


def test_a_change_to_celery_settings_warns_that_it_needs_a_restart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "quorum.yaml"
    config.write_text("worker:\n  plan_interval_s: 60\n")
    watch, _ = reloader(config, interval=0)
    config.write_text("worker:\n  plan_interval_s: 30\n")
    with caplog.at_level(logging.WARNING, logger="quorum.worker.reload"):
        assert watch.poll() is not None
    assert any("restart" in r.getMessage() for r in caplog.records)


def test_retry_countdown_backs_off_exponentially_with_jitter_and_a_cap() -> None:
    settings = WorkerSettings(retry_backoff_s=2, backoff_backoff_s=16, retry_backoff_max_s=60)
    transient = [retry_countdown(settings, BrokerTransient("x"), 3) for _ in range(200)]
    assert all(0 <= c <= 16 for c in transient)
    assert len(set(transient)) > 5  # jittered
    limited = [retry_countdown(settings, BrokerRateLimited("x"), 3) for _ in range(200)]
    assert all(0 <= c <= 60 for c in limited)
    assert max(limited) > 16  # BackOff starts from the longer base
    assert isinstance(BrokerRateLimited("x"), BackOff)


class FailingPipeline:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def scan(self, **kwargs: Any) -> Any:
        self.calls += 1
        raise self.error


class Holder:
    def __init__(self, pipeline: FailingPipeline) -> None:
        self._pipeline = pipeline

    def pipeline(self) -> FailingPipeline:
        return self._pipeline


def run_scan(error: Exception) -> tuple[int, BaseException | None]:
    app = Celery("t", set_as_current=False)
    app.conf.task_always_eager = True
    settings = WorkerSettings(max_retries=3, retry_backoff_s=1, backoff_backoff_s=1)
    pipeline = FailingPipeline(error)
    register_tasks(app, settings, Holder(pipeline))  # type: ignore[arg-type]
    result = app.tasks["quorum.scan"].apply(kwargs={"symbol": "BTC/USDT"})
    return pipeline.calls, result.result if result.failed() else None


def test_retryable_errors_are_retried_up_to_max_retries() -> None:
    calls, error = run_scan(Retryable("venue busy"))
    assert calls == 4
    assert isinstance(error, Retryable)


def test_other_errors_fail_at_once() -> None:
    calls, error = run_scan(ValueError("bar_close: not on the grid"))
    assert calls == 1
    assert isinstance(error, ValueError)
