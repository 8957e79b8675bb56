"""SIGKILL the real outbox worker at random points of the submit path, 500 times.

The paper exchange runs as its own process on loopback behind Binance spot's REST protocol;
every worker reaches it through ccxt's ``binance`` class (``CcxtBroker``), the code path
live trading uses. Workers are forked from a pre-imported fork server and killed either by
themselves at a submit-path point (before the send, in flight, after the reply before it
is recorded) or by the test at a random moment. Afterwards a clean worker drains the
outbox: zero duplicate orders at the venue, zero lost intents, every unknown resolved
within 60 s, and the journal verifies.
"""

from __future__ import annotations

import os
import signal
import time
from decimal import Decimal
from pathlib import Path

import httpx
from tests.chaos.execution.execution_chaos_kit import WorkerForkServer
from tests.unit.execution.execution_kit import approve, intent_at

from quorum.clock import SystemClock
from quorum.domain import OrderState
from quorum.execution import ExecutionService, ExecutionSettings, InProcessPaperBroker, PaperVenue
from quorum.journal import Journal, verify_journal
from quorum.store import create_engine_for, migrate, session_factory, session_scope
from quorum.testing import make_order_intent

KILLS = int(os.environ.get("CHAOS_KILLS", "500"))
PARALLEL = 4
"""Workers alive at once: each SIGKILLs itself at a random point of its first submit."""
FALLBACK_KILL_S = 1.5


def _dead(pid: int) -> bool:
    """True once ``pid`` (a child of the fork server) is a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def test_sigkill_anywhere_in_the_submit_path_never_duplicates_or_loses_an_order(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'chaos.db'}"
    engine = create_engine_for(url, sqlite_synchronous="NORMAL")
    migrate(engine)
    clock = SystemClock()
    journal = Journal(engine, clock)
    # only used to store intents (the outbox); it never sends
    stub = InProcessPaperBroker(PaperVenue(clock))
    store = ExecutionService(
        session_factory(engine),
        journal,
        clock,
        {"paper": stub},
        settings=ExecutionSettings(throttle_max_fills=10**9),
    )
    workers = WorkerForkServer(url)
    venue_url = workers.start_exchange(
        "--recv-window", "0.3", "--latency", "0.002", "--quote", "BTC/USDT:99.5:100.5",
        "--min-notional", "0", "--weight-limit", "100000000",
    )  # fmt: skip
    stored: list[str] = []

    def store_more(count: int) -> None:
        with session_scope(engine) as session:
            for _ in range(count):
                intent = make_order_intent(**intent_at(len(stored)), quantity=Decimal("0.01"))
                assert store.store_intent(session, intent, approve(intent)).accepted
                stored.append(intent.client_order_id)

    try:
        store_more(60)
        kills = 0
        while kills < KILLS:
            if len(store.orders({OrderState.NEW}, limit=40)) < 30:
                store_more(40)
            pids = [workers.fork(f"fork {kills + i} 1.0") for i in range(PARALLEL)]
            deadline = time.monotonic() + FALLBACK_KILL_S
            while time.monotonic() < deadline and not all(map(_dead, pids)):
                time.sleep(0.005)
            for pid in pids:
                os.kill(pid, signal.SIGKILL)  # a no-op for a worker that killed itself
                assert workers.reap(pid) == signal.SIGKILL, f"worker {pid} exited on its own"
            kills += len(pids)
        started = time.monotonic()
        final = workers.fork("final")
        assert workers.reap(final, timeout=90) == 0
        drained_in = time.monotonic() - started

        stats = httpx.get(f"{venue_url}/admin/stats", timeout=10).json()
        orders = {o.client_order_id: o for o in store.orders(limit=100_000)}
        accepted = stats["accepted"]
        assert drained_in < 60, f"unknown orders took {drained_in:.1f} s to resolve"
        assert max(accepted.values()) == 1, "a client id reached the venue twice"
        assert set(orders) == set(stored), "an intent was lost"
        states = {o.state for o in orders.values()}
        assert states <= {OrderState.FILLED, OrderState.REJECTED}, states
        filled = {cid for cid, o in orders.items() if o.state is OrderState.FILLED}
        assert filled == set(accepted), "venue orders and our filled orders differ"
        assert all(o.filled_quantity == o.quantity for cid, o in orders.items() if cid in filled)
        assert verify_journal(engine).ok
        summary = {**stats, "accepted": len(accepted), "drained_s": round(drained_in, 1)}
        print("CHAOS", KILLS, "kills", len(stored), "intents", summary)
        assert len(stored) > 100
        assert stats["submits"] > 100
    finally:
        workers.close()
        engine.dispose()
