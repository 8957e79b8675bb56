"""The stored paper venue across OS processes (SQLite and PostgreSQL) and across pipelines
built on one database: one venue, no lost update, positions that survive a rebuild."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.unit.execution.execution_kit import T0
from tests.unit.pipeline.kit import make_kit, open_position

from apps.bootstrap import build_pipeline, build_runtime
from quorum.clock import ReplayClock
from quorum.config import AppSettings
from quorum.execution.paper import PaperSettings, StoredPaperVenue
from quorum.pipeline import EmbeddedDispatcher
from quorum.pipeline.options import PipelineParts
from quorum.store import create_engine_for, migrate

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
D = Decimal
PER_PROCESS = 30

CHILD = textwrap.dedent(
    """
    import sys, time
    from decimal import Decimal
    from pathlib import Path
    from quorum.clock import ReplayClock
    from quorum.domain import OrderType, Side
    from quorum.execution.paper import PaperSettings, StoredPaperVenue
    from quorum.domain import parse_time
    from quorum.ports import OrderRequest
    from quorum.store import create_engine_for

    url, schema, tag, count, go, t0 = sys.argv[1:7]
    clock = ReplayClock(parse_time(t0))
    engine = create_engine_for(url, schema=schema or None)
    venue = StoredPaperVenue(engine, clock, PaperSettings())
    print("ready", flush=True)
    while not Path(go).exists():
        time.sleep(0.005)
    for i in range(int(count)):
        venue.submit(OrderRequest(
            client_order_id=f"{tag}-{i}", symbol="BTC/USDT", side=Side.BUY,
            order_type=OrderType.MARKET, quantity=Decimal("0.01"), sent_at=clock.now(),
        ))
    print("done", flush=True)
    """
)


def _submit_from_two_processes(tmp_path: Path, url: str, schema: str = "") -> StoredPaperVenue:
    engine = create_engine_for(url, schema=schema or None)
    migrate(engine)
    venue = StoredPaperVenue(engine, ReplayClock(T0), PaperSettings())
    venue.set_quote("BTC/USDT", D(99), D(101), D(100))
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "libs"), str(ROOT)])}
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD,
                url,
                schema,
                tag,
                str(PER_PROCESS),
                str(go),
                T0.isoformat(),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("a", "b")
    ]
    for child in children:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", (
            child.stderr.read() if child.stderr else ""
        )
    go.touch()
    outcomes = [child.communicate(timeout=300) for child in children]
    for child, (out, err) in zip(children, outcomes, strict=True):
        assert child.returncode == 0, err[-3000:]
        assert out.strip() == "done"
    return venue


def _assert_no_lost_update(venue: StoredPaperVenue) -> None:
    total = 2 * PER_PROCESS
    trades = venue.trades()
    assert [t.venue_trade_id for t in trades] == [f"T{n}" for n in range(1, total + 1)]
    assert sorted(int(t.venue_order_id[1:]) for t in trades) == list(range(1, total + 1))
    assert {t.client_order_id for t in trades} == {
        f"{tag}-{i}" for tag in "ab" for i in range(PER_PROCESS)
    }
    assert venue.stats.submits == total
    assert set(venue.stats.accepted.values()) == {1}
    assert venue.positions()[0].quantity == D("0.01") * total
    # each buy: 0.01 at the ask 101 plus the 0.1 % taker fee, exactly
    assert venue.balances()["USDT"] == D(10**7) - total * (D("1.01") + D("0.00101"))


def test_two_processes_submitting_at_once_on_sqlite_lose_no_update(tmp_path: Path) -> None:
    venue = _submit_from_two_processes(tmp_path, f"sqlite:///{tmp_path / 'shared.db'}")
    _assert_no_lost_update(venue)


def test_two_processes_submitting_at_once_on_postgres_lose_no_update(
    tmp_path: Path, postgres_url: str, pg_schema: str
) -> None:
    venue = _submit_from_two_processes(tmp_path, postgres_url, pg_schema)
    _assert_no_lost_update(venue)
    engine = create_engine_for(postgres_url, schema=pg_schema)
    with engine.connect() as conn:
        seqs = [r[0] for r in conn.execute(text("SELECT seq FROM paper_orders ORDER BY seq"))]
    engine.dispose()
    assert seqs == list(range(1, 2 * PER_PROCESS + 1))


def test_a_position_survives_a_second_build_and_its_startup_reconciliation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        cid = open_position(kit, "0.5")
        assert kit.tasks.execute(cid)["status"] == "filled"
    finally:
        kit.close()
    # another process (the API, a worker, the CLI) builds its pipeline on the same database
    runtime = build_runtime(AppSettings())
    try:
        parts: list[PipelineParts] = []
        tasks = build_pipeline(runtime, EmbeddedDispatcher(), parts=parts)
        positions = {p.symbol: p.quantity for p in tasks.deps.execution.positions()}
        assert positions["BTC/USDT"] == D("0.5")
        assert parts[0].venue.positions()[0].quantity == D("0.5")
        assert parts[0].venue.stats.accepted[cid] == 1
        with runtime.engine.connect() as conn:
            fixed = conn.execute(
                text("SELECT count(*) FROM journal_entries WHERE payload LIKE :p"),
                {"p": '%"position_fixed"%'},
            ).scalar_one()
        assert fixed == 0
        tasks.close()
    finally:
        runtime.close()


def test_two_pipelines_on_one_database_trade_against_one_venue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first = make_kit(run_id="first")
    second = make_kit(run_id="second")
    try:
        cid = open_position(first, "0.25")
        seen = second.venue.fetch_by_client_id(cid)
        assert seen.status == "closed"
        assert second.venue.positions()[0].quantity == D("0.25")
        started = time.monotonic()
        assert second.tasks.execute(cid)["status"] == "filled"  # resolved, not sent again
        assert time.monotonic() - started < 30
        assert second.venue.stats.accepted[cid] == 1
        assert second.venue.stats.submits == 1
    finally:
        second.close()
        first.close()
