"""A redelivered scan / analyze / execute does nothing twice."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from tests.unit.pipeline.kit import drain, make_kit, open_position

from quorum.domain import format_time


def _duplicates(task: str) -> float:
    value = REGISTRY.get_sample_value("quorum_task_duplicate_deliveries_total", {"task": task})
    return value or 0.0


def _count(kit, sql: str) -> int:  # type: ignore[no-untyped-def]
    with kit.runtime.engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_a_redelivered_scan_returns_a_duplicate_status_and_journals_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        close = format_time(kit.clock.now().replace(second=0))
        before = _duplicates("scan")
        first = kit.tasks.scan("BTC/USDT", "15m", close)
        entries = _count(kit, "SELECT count(*) FROM journal_entries WHERE kind = 'scan'")
        second = kit.tasks.scan("BTC/USDT", "15m", close)
        assert first["status"] == "done"
        assert second == {**first, "status": "duplicate", "first_status": "done"}
        assert _duplicates("scan") == before + 1
        assert entries == 1
        assert _count(kit, "SELECT count(*) FROM journal_entries WHERE kind = 'scan'") == 1
        assert _count(kit, "SELECT count(*) FROM pipeline_task_runs WHERE task = 'scan'") == 1
        # the follow-ups not yet run are re-sent with the same keys (a crash between
        # commit and send loses nothing); the queue holds each key once
        assert len(kit.dispatcher) == len(first["followups"])
    finally:
        kit.close()


def test_a_duplicate_scan_delivery_after_its_analysis_ran_does_no_work_and_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forced redelivery of a candidate scan once everything it started has run: no
    second scan computation, journal entry or analyze dispatch; a logged, counted no-op."""
    from quorum.pipeline import scan_task

    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        last = kit.clock.now().replace(second=0)
        closes = (format_time(last - timedelta(minutes=15 * i)) for i in range(12))
        close, first = next(
            (c, r) for c in closes if (r := kit.tasks.scan("BTC/USDT", "15m", c))["candidate"]
        )
        assert first["analysis"] == "submitted", first
        drain(kit)  # the analyses (and what they send) run
        journal = _count(kit, "SELECT count(*) FROM journal_entries")
        key = first["followups"][0]["key"]
        assert _count(kit, f"SELECT count(*) FROM pipeline_task_runs WHERE key = '{key}'") == 1

        def no_second_scan(*_args: object) -> None:
            raise AssertionError("a duplicate delivery computed the scan again")

        monkeypatch.setattr(scan_task, "_timed_scan", no_second_scan)
        before = _duplicates("scan")
        again = kit.tasks.scan("BTC/USDT", "15m", close)
        assert again["status"] == "duplicate"
        assert _duplicates("scan") == before + 1
        assert len(kit.dispatcher) == 0  # the analysis already ran: nothing re-sent
        assert _count(kit, "SELECT count(*) FROM journal_entries") == journal
    finally:
        kit.close()


def test_a_redelivered_analyze_stores_no_second_signal_order_or_journal_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        as_of = format_time(kit.clock.now().replace(second=0))
        first = kit.tasks.analyze("BTC/USDT", as_of, "15m")
        counts = [
            _count(kit, "SELECT count(*) FROM journal_entries"),
            _count(kit, "SELECT count(*) FROM pipeline_signals"),
            _count(kit, "SELECT count(*) FROM execution_orders"),
        ]
        again = kit.tasks.analyze("BTC/USDT", as_of, "15m")
        assert again == first
        assert first["status"] in {"approved", "rejected", "no_trade", "refused"}
        assert [
            _count(kit, "SELECT count(*) FROM journal_entries"),
            _count(kit, "SELECT count(*) FROM pipeline_signals"),
            _count(kit, "SELECT count(*) FROM execution_orders"),
        ] == counts
        assert _count(kit, "SELECT count(*) FROM pipeline_task_runs WHERE task='analyze'") == 1
    finally:
        kit.close()


def test_a_redelivered_execute_sends_the_order_once_and_records_one_fill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        cid = open_position(kit)
        again = kit.tasks.execute(cid)
        assert again["status"] == "filled"
        assert kit.venue.stats.accepted[cid] == 1
        assert _count(kit, "SELECT count(*) FROM execution_fills") == 1
    finally:
        kit.close()


def test_the_same_key_claimed_twice_keeps_the_first_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quorum.store import session_scope

    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        runs = kit.tasks.runs
        first, fresh = runs.once("scan", "scan:k", lambda _s: {"status": "done", "n": 1})
        second, fresh_again = runs.once("scan", "scan:k", lambda _s: {"status": "done", "n": 2})
        assert (first, fresh, second, fresh_again) == (
            {"status": "done", "n": 1},
            True,
            {"status": "done", "n": 1},
            False,
        )
        # a concurrent delivery that lost the race rolls its work back
        with session_scope(kit.runtime.engine) as session:
            assert runs.claim(session, "scan", "scan:k", {"n": 3}, "t") is False
    finally:
        kit.close()
