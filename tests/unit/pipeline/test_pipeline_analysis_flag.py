"""The analysis.enabled flag: while false, plan submits no scans, a queued scan hands no
candidate to analyze, a queued analyze runs no agents; turning it back on resumes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.unit.pipeline.kit import Kit, make_kit

from quorum.domain import format_time


def _count(kit: Kit, sql: str) -> int:
    with kit.runtime.engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def _paused(kit: Kit) -> list[dict[str, object]]:
    with kit.runtime.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT payload FROM journal_entries WHERE kind = 'flag_change' ORDER BY seq")
        ).all()
    return [p for p in (json.loads(r[0]) for r in rows) if p.get("event") == "analysis_paused"]


def _set(kit: Kit, enabled: bool) -> None:
    kit.runtime.flags.set("analysis.enabled", enabled, "alice", "test")


def test_plan_submits_no_scans_while_disabled_journals_the_pause_once_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        _set(kit, False)
        first = kit.tasks.plan()
        assert first["status"] == "disabled"
        assert first["scans"] == []
        assert first["skipped"] == first["due"] == 2  # BTC/USDT at 15m and 1h
        assert first["journaled"] is True
        assert len(kit.dispatcher) == 0
        kit.clock.advance(timedelta(minutes=15))
        second = kit.tasks.plan()
        assert second["status"] == "disabled"
        assert second["journaled"] is False  # one entry per pause, not per plan
        assert len(_paused(kit)) == 1
        assert _paused(kit)[0]["skipped_scans"] == 2

        _set(kit, True)
        kit.clock.advance(timedelta(minutes=15))
        resumed = kit.tasks.plan()
        assert resumed["status"] == "done"
        # the paused bars are not replayed: each timeframe resumes at its latest close
        closes = {s["kwargs"]["timeframe"]: s["kwargs"]["bar_close"] for s in resumed["scans"]}
        settled = kit.clock.now() - timedelta(seconds=kit.tasks.deps.settings.finalization_delay_s)
        assert closes == {
            "15m": format_time(settled.replace(second=0, microsecond=0)),
            "1h": format_time(settled.replace(minute=0, second=0, microsecond=0)),
        }
        assert len(kit.dispatcher) == 2

        _set(kit, False)  # a second pause is a new flag version: journaled again
        assert kit.tasks.plan()["journaled"] is True
        assert len(_paused(kit)) == 2
    finally:
        kit.close()


def test_a_scan_queued_before_the_flip_journals_its_bar_but_submits_no_analysis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        last = kit.clock.now().replace(second=0)
        closes = [format_time(last - timedelta(minutes=15 * i)) for i in range(12)]
        _set(kit, False)
        off = [kit.tasks.scan("BTC/USDT", "15m", close) for close in closes[:6]]
        assert any(r["candidate"] for r in off)  # the data has candidates to hold back
        for result in off:
            assert result["followups"] == []
            assert result["analysis"] == ("disabled" if result["candidate"] else "none")
        assert len(kit.dispatcher) == 0
        with kit.runtime.engine.connect() as conn:
            payloads = [
                json.loads(r[0])
                for r in conn.execute(
                    text("SELECT payload FROM journal_entries WHERE kind = 'scan' ORDER BY seq")
                ).all()
            ]
        skipped = [p for p in payloads if "analysis_skipped" in p]
        assert len(payloads) == len(off)  # every bar is still journaled
        assert len(skipped) == sum(r["candidate"] for r in off)
        assert skipped[0]["analysis_skipped"] == "feature flag analysis.enabled is false"

        _set(kit, True)
        on = [kit.tasks.scan("BTC/USDT", "15m", close) for close in closes[6:]]
        assert any(r["candidate"] for r in on)
        for result in on:
            assert result["analysis"] == ("submitted" if result["candidate"] else "none")
            assert [f["task"] for f in result["followups"]] == (
                ["analyze"] if result["candidate"] else []
            )
        assert len(kit.dispatcher) == sum(r["candidate"] for r in on)
    finally:
        kit.close()


def test_an_analysis_queued_before_the_flip_runs_no_agents_and_claims_no_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        as_of = format_time(kit.clock.now().replace(second=0))
        _set(kit, False)
        entries = _count(kit, "SELECT count(*) FROM journal_entries")
        result = kit.tasks.analyze("BTC/USDT", as_of, "15m")
        assert result["status"] == "disabled"
        assert result["reason"] == "feature flag analysis.enabled is false"
        assert _count(kit, "SELECT count(*) FROM journal_entries") == entries
        assert _count(kit, "SELECT count(*) FROM pipeline_signals") == 0
        assert _count(kit, "SELECT count(*) FROM execution_orders") == 0
        assert _count(kit, "SELECT count(*) FROM llm_calls") == 0
        assert _count(kit, "SELECT count(*) FROM pipeline_task_runs") == 0

        _set(kit, True)
        again = kit.tasks.analyze("BTC/USDT", as_of, "15m")
        assert again["status"] in {"approved", "rejected", "no_trade", "refused"}
        assert _count(kit, "SELECT count(*) FROM pipeline_task_runs WHERE task='analyze'") == 1
    finally:
        kit.close()
