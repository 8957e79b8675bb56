"""``quorum.verify_journal``: the periodic journal verification publishes its result as
metrics (what the ``QuorumJournalDamaged`` alert reads) and logs the first bad seq."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from apps.bootstrap import Runtime, build_runtime
from apps.worker.schedule import VERIFY_JOURNAL, beat_schedule
from apps.worker.tasks import verify_journal
from quorum.clock import ReplayClock
from quorum.config import AppSettings, load_settings
from quorum.domain import JournalKind
from quorum.store import session_scope

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _settings(tmp: Path, **extra: object) -> AppSettings:
    return AppSettings(
        database={"url": f"sqlite:///{tmp / 'quorum.db'}"},
        journal={"local_key_path": str(tmp / "journal.key")},
        flags={"file_path": str(tmp / "flags.json"), "audit_path": str(tmp / "audit.jsonl")},
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    for key in [k for k in os.environ if k.startswith("QUORUM_")]:
        if not key.startswith("QUORUM_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    built = build_runtime(_settings(tmp_path), clock=ReplayClock(NOW))
    with session_scope(built.engine) as session:
        for n in range(5):
            built.journal.append(session, JournalKind.SCAN, {"n": n}, actor="test")
    built.journal.checkpoint()
    yield built
    built.close()


def _value(name: str, labels: dict[str, str] | None = None) -> float | None:
    return REGISTRY.get_sample_value(name, labels or {})


def _failed_count() -> float:
    return _value("quorum_journal_verifications_total", {"result": "failed"}) or 0.0


def test_task_body_on_an_intact_journal_sets_ok_entries_and_the_run_time(
    runtime: Runtime,
) -> None:
    with runtime.engine.connect() as conn:  # the 5 scans plus the flag store's own entries
        entries = int(conn.execute(text("SELECT count(*) FROM journal_entries")).scalar_one())
    ok_before = _value("quorum_journal_verifications_total", {"result": "ok"}) or 0.0
    clock = ReplayClock(NOW + timedelta(minutes=15))

    result = verify_journal(runtime.journal, clock)

    assert result["ok"] is True
    assert result["entries"] == entries
    assert _value("quorum_journal_verify_ok") == 1.0
    assert _value("quorum_journal_verified_entries") == entries
    assert _value("quorum_journal_verify_first_bad_seq") == 0.0
    assert _value("quorum_journal_verify_last_run_timestamp_seconds") == clock.now().timestamp()
    assert _value("quorum_journal_verifications_total", {"result": "ok"}) == ok_before + 1


def test_task_body_after_a_tampered_payload_sets_failure_and_logs_the_bad_seq(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    assert verify_journal(runtime.journal, ReplayClock(NOW))["ok"] is True
    with runtime.engine.begin() as conn:
        rows = conn.execute(text("SELECT seq, payload FROM journal_entries ORDER BY seq"))
        seq = next(int(r[0]) for r in rows if json.loads(r[1]) == {"n": 2})
        conn.execute(text("DROP TRIGGER IF EXISTS journal_entries_no_update"))  # DDL rights
        conn.execute(
            text("UPDATE journal_entries SET payload = :p WHERE seq = :s"),
            {"p": '{"n":20}', "s": seq},
        )
    failed_before = _failed_count()
    later = ReplayClock(NOW + timedelta(minutes=30))

    with caplog.at_level(logging.INFO, logger="quorum.worker.journal"):
        result = verify_journal(runtime.journal, later)

    assert result["ok"] is False
    assert result["first_bad_seq"] == seq
    assert result["damage"] == "modified"
    assert _value("quorum_journal_verify_ok") == 0.0
    assert _value("quorum_journal_verify_first_bad_seq") == seq
    assert _value("quorum_journal_verified_entries") == seq - 1  # intact entries before it
    assert _value("quorum_journal_verify_last_run_timestamp_seconds") == later.now().timestamp()
    assert _failed_count() == failed_before + 1
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert f"at seq {seq}" in errors[0].getMessage()
    assert errors[0].first_bad_seq == seq  # type: ignore[attr-defined]


def test_beat_runs_the_verification_on_the_monitor_queue_at_the_configured_interval() -> None:
    default = beat_schedule(load_settings({"QUORUM_BROKER_URL": "redis://127.0.0.1:1/0"}))
    every_5 = beat_schedule(
        load_settings(
            {
                "QUORUM_BROKER_URL": "redis://127.0.0.1:1/0",
                "QUORUM_WORKER__JOURNAL_VERIFY_INTERVAL_S": "300",
            }
        )
    )

    assert default[VERIFY_JOURNAL]["schedule"] == timedelta(minutes=15)
    assert every_5[VERIFY_JOURNAL]["schedule"] == timedelta(minutes=5)
    assert every_5[VERIFY_JOURNAL]["options"]["expires"] == 300
    assert every_5[VERIFY_JOURNAL]["options"]["queue"] == "monitor"


def test_the_task_runs_in_a_real_worker_over_redis_and_sets_the_gauge(
    tmp_path: Path, clean_redis: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from celery.contrib.testing.worker import start_worker

    from apps.worker.factory import create_app

    for key in [k for k in os.environ if k.startswith(("QUORUM_", "OTEL_"))]:
        if not key.startswith("QUORUM_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    settings = _settings(
        tmp_path,
        broker_url=clean_redis,
        pipeline={"symbols": ["BTC/USDT"], "timeframes": ["15m"], "history_bars": 400},
        worker={"beat_key_prefix": f"test:{tmp_path.name}:"},
    )
    app = create_app(settings)
    route = app.amqp.router.route({}, VERIFY_JOURNAL)
    assert route["queue"].name == "monitor"
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    before = _value("quorum_journal_verifications_total", {"result": "ok"}) or 0.0
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            result = app.send_task(VERIFY_JOURNAL).get(timeout=60)
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)

    assert result["ok"] is True
    assert result["entries"] >= 1  # the flag store's initial entries, at least
    assert _value("quorum_journal_verify_ok") == 1.0
    assert _value("quorum_journal_verifications_total", {"result": "ok"}) == before + 1
    ran_at = _value("quorum_journal_verify_last_run_timestamp_seconds")
    assert ran_at is not None
    assert abs(ran_at - time.time()) < 120


def test_task_body_names_the_first_unexplained_order(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue #19 item 1: an order entry with no intent or decision before it fails the
    periodic verification too, naming its seq."""
    with session_scope(runtime.engine) as session:
        entry = runtime.journal.append(
            session,
            JournalKind.ORDER_UPDATE,
            {"client_order_id": "qunexplained1", "event": "transition", "state": "submitting"},
            actor="execution",
        )

    with caplog.at_level(logging.INFO, logger="quorum.worker.journal"):
        result = verify_journal(runtime.journal, ReplayClock(NOW))

    assert result["ok"] is False
    assert (result["damage"], result["unexplained_seq"]) == (None, entry.seq)
    assert "qunexplained1" in result["summary"]
    assert any(r.levelno == logging.ERROR for r in caplog.records)
