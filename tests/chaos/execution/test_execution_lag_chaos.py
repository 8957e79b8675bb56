"""Kill outbox workers at random moments while the venue's lookups lag 0–5 s.

The paper exchange runs as its own process (receive window 0.3 s, partial fills, two
symbols); every round moves its lookup lag to U(0, 5) s and its quotes (resting limits and
reduce-only stops trigger, partial fills continue). Workers (forked, pre-imported) are
killed either by themselves inside the submit path or by the test at a random moment of
whatever they do — start-up reconciliation, lookups, resolving, sending, sleeping. The
intents: market and limit entries (some rest), reduce-only exits and reduce-only stops,
on BTC/USDT and ETH/USDT; every round also picks whole or partial (half) fills, and one
accepted submit in five gets an ambiguous reply (a hang past the client's timeout, a 502
or a connection reset). The exchange speaks Binance spot's REST protocol and every worker
reaches it through ccxt's ``binance`` class. The workers' stderr goes
to ``workers.stderr`` in the test's directory; a worker that exits on its own fails the
test with its tail.
Afterwards a clean worker drains the outbox and the test reports kills / intents /
duplicates / lost / unexplained exposure — the last three must be 0. (With workers told
the lookups are instant, the same run finds duplicates, lost fills and exposure.)

``QUORUM_CHAOS_KILLS`` (default 200) sets the number of kills.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from tests.chaos.execution.execution_chaos_kit import WorkerForkServer
from tests.chaos.execution.execution_chaos_worker import ccxt_exchange
from tests.conftest import LiveOrderGuard
from tests.unit.execution.execution_kit import approve, intent_at

from quorum.clock import SystemClock
from quorum.domain import JournalKind, OrderLeg, OrderState, OrderType, Side
from quorum.execution import ExecutionService, ExecutionSettings
from quorum.execution.ccxt_broker import CcxtBroker
from quorum.journal import Journal, verify_journal
from quorum.store import create_engine_for, migrate, session_factory, session_scope
from quorum.testing import make_order_intent

KILLS = int(os.environ.get("QUORUM_CHAOS_KILLS", "200"))
PARALLEL = 4
MAX_LAG_S = 5.0
SYMBOLS = ("BTC/USDT", "ETH/USDT")
PENDING = {OrderState.NEW, OrderState.SUBMITTING, OrderState.UNKNOWN}
QTY = Decimal("0.01")


def _dead(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def _mix(i: int, symbol: str) -> list[dict[str, Any]]:
    """Entries (market; limit resting below the market; marketable limit), a reduce-only
    market exit and a reduce-only stop, each with its own signal time."""
    base = {"symbol": symbol, "quantity": QTY}
    return [
        intent_at(i, **base),
        intent_at(i + 1, **base, order_type=OrderType.LIMIT, price=Decimal(95)),
        intent_at(i + 2, **base, order_type=OrderType.LIMIT, price=Decimal(101)),
        intent_at(i + 3, **base, side=Side.SELL, leg=OrderLeg.EXIT, reduce_only=True),
        intent_at(
            i + 4,
            **base,
            side=Side.SELL,
            leg=OrderLeg.STOP_LOSS,
            reduce_only=True,
            order_type=OrderType.STOP,
            stop_price=Decimal(96),
        ),
    ]


class Run:
    def __init__(self, tmp_path: Path) -> None:
        self.url = f"sqlite:///{tmp_path / 'lag.db'}"
        self.engine = create_engine_for(self.url, sqlite_synchronous="NORMAL")
        migrate(self.engine)
        self.journal = Journal(self.engine, SystemClock())
        self.workers = WorkerForkServer(self.url, log=tmp_path / "workers.stderr")
        self.venue_url = self.workers.start_exchange(
            "--recv-window", "0.3", "--latency", "0.002", "--partial-fill-ratio", "0.5",
            "--ambiguous", "0.2",
            "--min-notional", "0", "--weight-limit", "100000000",
            *(f"--quote={s}:99.5:100.5" for s in SYMBOLS),
        )  # fmt: skip
        self.workers.set_lag(MAX_LAG_S)
        broker = CcxtBroker(
            "binance",
            SystemClock(),
            exchange=ccxt_exchange(self.venue_url),
            recv_window_s=0.3,
            name="paper",
            lookup_lag_s=MAX_LAG_S,
        )
        self.check = ExecutionService(  # stores intents; the final checks read through it
            session_factory(self.engine),
            self.journal,
            SystemClock(),
            {"paper": broker},
            settings=ExecutionSettings(throttle_max_fills=10**9, flatten_unexplained=False),
        )
        self.stored: list[str] = []
        self.rng = random.Random(18)

    def store_more(self, rounds: int) -> None:
        with session_scope(self.engine) as session:
            for _ in range(rounds):
                for symbol in SYMBOLS:
                    for fields in _mix(len(self.stored) * 5, symbol):
                        intent = make_order_intent(**fields)
                        assert self.check.store_intent(session, intent, approve(intent)).accepted
                        self.stored.append(intent.client_order_id)

    def admin(self, path: str, body: dict[str, Any]) -> None:
        httpx.post(f"{self.venue_url}/admin/{path}", json=body, timeout=10).raise_for_status()

    def shake_venue(self) -> None:
        lag, ratio = self.rng.uniform(0.0, MAX_LAG_S), self.rng.choice(["1", "0.5"])
        self.admin("settings", {"query_lag_s": lag, "partial_fill_ratio": ratio})
        for symbol in SYMBOLS:
            bid = Decimal(self.rng.randrange(184, 212)) / 2
            self.admin("quote", {"symbol": symbol, "bid": str(bid), "ask": str(bid + 1)})

    def round(self, n: int) -> int:
        """Four workers; even rounds die inside the submit path, odd ones at a random time."""
        in_submit = n % 2 == 0
        pids = [
            self.workers.fork(f"fork {n * PARALLEL + i} {1.0 if in_submit else 0.0}")
            for i in range(PARALLEL)
        ]
        kill_at = {pid: time.monotonic() + self.rng.uniform(0.05, 1.2) for pid in pids}
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline and not all(map(_dead, pids)):
            for pid, at in kill_at.items():
                if not in_submit and time.monotonic() >= at:
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
            status = self.workers.reap(pid)
            assert status == signal.SIGKILL, (
                f"worker {pid} exited on its own ({status}): {self.workers.log_tail()}"
            )
        return len(pids)

    def report(self, kills: int) -> dict[str, Any]:
        self.check.reconcile(startup=True)
        stats = httpx.get(f"{self.venue_url}/admin/stats", timeout=10).json()
        accepted: dict[str, int] = stats["accepted"]
        orders = {o.client_order_id: o for o in self.check.orders(limit=100_000)}
        broker = self.check.ctx.broker("paper")
        lost = [cid for cid in self.stored if cid not in orders or orders[cid].state in PENDING]
        detail = [f"{cid} {orders[cid].state if cid in orders else 'missing'}" for cid in lost]
        for cid in accepted:
            order = orders.get(cid)
            if order is None or order.state is OrderState.REJECTED:
                lost.append(cid)  # at the venue, unknown or refused in our books
            else:
                seen = broker.fetch_order_by_client_id(order.symbol, cid)
                if order.filled_quantity != seen.filled:
                    lost.append(cid)  # a fill we never recorded
                    detail.append(f"{cid} {order.state} {order.filled_quantity} {seen.filled}")
        ours = {p.symbol: p.quantity for p in self.check.positions() if p.quantity}
        held = httpx.get(f"{self.venue_url}/admin/positions", timeout=10).json()
        venue = {p["symbol"]: Decimal(p["quantity"]) for p in held if Decimal(p["quantity"])}
        flagged = [
            e
            for e in self.journal.read(kinds=[JournalKind.RECONCILIATION])
            if e.payload.get("event") == "duplicate_exposure"
        ]
        return {
            "kills": kills,
            "intents": len(self.stored),
            "duplicates": sum(1 for n in accepted.values() if n > 1),
            "lost": len(lost),
            "unexplained_exposure": len(flagged) + (0 if ours == venue else 1),
            "accepted": len(accepted),
            "ambiguous_replies": stats["ambiguous_replies"],
            "filled": sum(1 for o in orders.values() if o.state is OrderState.FILLED),
            "partially_filled": sum(
                1 for o in orders.values() if o.state is OrderState.PARTIALLY_FILLED
            ),
            "resting": sum(1 for o in orders.values() if o.state is OrderState.ACKNOWLEDGED),
            "rejected": sum(1 for o in orders.values() if o.state is OrderState.REJECTED),
            "positions": {s: str(q) for s, q in sorted(venue.items())},
            "our_positions": {s: str(q) for s, q in sorted(ours.items())},
            "flagged": [
                {k: str(v) for k, v in e.payload.items()} | {"at": e.time.isoformat()}
                for e in flagged[:5]
            ],
            "lost_detail": detail[:10],
        }

    def close(self) -> None:
        self.workers.close()
        self.engine.dispose()


def test_kills_at_random_moments_under_lookup_lag_give_no_duplicate_loss_or_exposure(
    tmp_path: Path, live_order_guard: LiveOrderGuard
) -> None:
    live_order_guard.loopback_allowed = True  # the checks' reconciliation may cancel
    run = Run(tmp_path)
    try:
        run.store_more(4)
        kills = rounds = 0
        while kills < KILLS:
            if len(run.check.orders({OrderState.NEW}, limit=40)) < 30:
                run.store_more(4)
            run.shake_venue()
            kills += run.round(rounds)
            rounds += 1
        run.admin("settings", {"query_lag_s": 0.0})  # the checks look every order up
        final = run.workers.fork("final")
        assert run.workers.reap(final, timeout=120) == 0, run.workers.log_tail()
        report = run.report(kills)
        print("CHAOS-LAG binance " + json.dumps(report))
        assert (report["duplicates"], report["lost"], report["unexplained_exposure"]) == (0, 0, 0)
        assert report["kills"] >= KILLS
        assert report["accepted"] > 40
        assert report["ambiguous_replies"] > 0
        assert report["resting"] + report["partially_filled"] > 0
        assert verify_journal(run.engine).ok
    finally:
        live_order_guard.loopback_allowed = False
        run.close()
