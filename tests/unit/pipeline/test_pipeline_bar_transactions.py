"""The bar driver writes a base bar's scans in ONE transaction (issue #22 item 3), through
``quorum run``: every scan's task-run claim, journal entry and scan mark of one bar commit
together.

Before: each scan was its own transaction — 256 commits (each fsynced) for the 96 bars of
a default run, where one per bar with scans is enough.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from tests.unit.pipeline.kit import make_kit
from typer.testing import CliRunner

from apps.cli.main import app
from quorum.domain import format_time

runner = CliRunner()
SCANS = "quorum.test.scan_claims"


@pytest.fixture
def commits() -> Iterator[list[list[str]]]:
    """The scan keys claimed by each committed transaction (of any engine)."""
    seen: list[list[str]] = []

    def statement(conn: Connection, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        if sql.lstrip().upper().startswith("INSERT") and "pipeline_task_runs" in sql:
            values = params.values() if isinstance(params, dict) else params
            keys = [v for v in values if isinstance(v, str) and v.startswith("scan:")]
            conn.info.setdefault(SCANS, []).extend(keys)

    def commit(conn: Connection) -> None:
        seen.append(conn.info.pop(SCANS, []))

    def rollback(conn: Connection) -> None:
        conn.info.pop(SCANS, None)

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "commit", commit)
    event.listen(Engine, "rollback", rollback)
    yield seen
    event.remove(Engine, "before_cursor_execute", statement)
    event.remove(Engine, "commit", commit)
    event.remove(Engine, "rollback", rollback)


def test_a_base_bar_commits_its_scans_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, commits: list[list[str]]
) -> None:
    monkeypatch.chdir(tmp_path)
    steps = 8
    args = ["run", "--steps", str(steps), "--symbols", "BTC/USDT,ETH/USDT,SOL/USDT"]
    outcome = runner.invoke(app, [*args, "--timeframes", "15m,1h", "--json"])
    assert outcome.exit_code == 0, outcome.output
    summary = json.loads(outcome.output)
    scanned = summary["bars_scanned"]
    assert scanned > 2 * steps, "several scans per bar"

    with_scans = [keys for keys in commits if keys]
    assert sum(len(keys) for keys in with_scans) == scanned
    assert len(with_scans) <= steps, "one transaction per base bar holds all its scans"
    for keys in with_scans:  # the base bar's scans: one close per transaction
        assert len({key.split(":15m:")[1] for key in keys if ":15m:" in key}) <= 1, keys


def test_a_batched_scan_whose_key_another_worker_claimed_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Claims stay the arbiter inside a batch: the key another delivery claimed between our
    look-up and our commit is answered with its stored result; the rest commit."""
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        close = format_time(kit.clock.now().replace(second=0))
        items: list[dict[str, Any]] = [
            {"symbol": "BTC/USDT", "timeframe": tf, "bar_close": close} for tf in ("15m", "1h")
        ]
        winner = kit.tasks.scan(**items[0])  # the other worker's delivery
        runs = kit.tasks.runs
        real_get = runs.get
        looked: list[str] = []

        def unseen_first(key: str) -> Any:  # the look-up ran before the winner's commit
            looked.append(key)
            return None if looked.count(key) == 1 else real_get(key)

        monkeypatch.setattr(runs, "get", unseen_first)
        results = kit.tasks.scan_many(items)

        assert results[0] == {**winner, "status": "duplicate", "first_status": "done"}
        assert (results[1]["timeframe"], results[1]["status"]) == ("1h", "done")
        with kit.runtime.engine.connect() as conn:
            scans = conn.execute(
                text("SELECT count(*) FROM journal_entries WHERE kind = 'scan'")
            ).scalar_one()
            claims = conn.execute(
                text("SELECT count(*) FROM pipeline_task_runs WHERE task = 'scan'")
            ).scalar_one()
        assert (scans, claims) == (2, 2), "the lost claim journaled nothing"
    finally:
        kit.close()
