"""`quorum bench execution`: intents → paper fills per second through the full idempotent path.

Each intent goes the production way: ``store_intent`` in its own transaction (pre-trade
checks, outbox insert, ``intent`` journal entry) → ``execute`` (gate, CAS to submitting +
journal, send to the in-process paper exchange under the client id, record the venue
order, its fill, the position, the throttle check, journal). SQLite file in a temporary
directory, measured with ``synchronous=FULL`` (every commit fsynced) and ``NORMAL``.
"""

from __future__ import annotations

import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.harness import machine, percentiles
from quorum.clock import SystemClock
from quorum.domain import OrderIntent, RiskDecision, Side, Verdict
from quorum.execution import (
    ExecutionService,
    ExecutionSettings,
    InProcessPaperBroker,
    PaperSettings,
    PaperVenue,
)
from quorum.journal import Journal
from quorum.store import (
    SqliteSynchronous,
    create_engine_for,
    migrate,
    session_factory,
    session_scope,
)
from quorum.testing import T0, make_order_intent

SYMBOL = "BTC/USDT"


def _intent(i: int) -> OrderIntent:
    return make_order_intent(
        run_id="bench",
        signal_time=T0 + timedelta(seconds=i),
        side=Side.BUY if i % 2 == 0 else Side.SELL,
        quantity=Decimal("0.01"),
    )


def _one(intents: int, synchronous: SqliteSynchronous) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine_for(
            f"sqlite:///{Path(tmp) / 'bench.db'}", sqlite_synchronous=synchronous
        )
        migrate(engine)
        clock = SystemClock()
        venue = PaperVenue(clock, PaperSettings())
        venue.set_quote(SYMBOL, Decimal("99.5"), Decimal("100.5"), Decimal(100))
        service = ExecutionService(
            session_factory(engine),
            Journal(engine, clock),
            clock,
            {"paper": InProcessPaperBroker(venue)},
            settings=ExecutionSettings(throttle_max_fills=10**9),
        )
        service.reconcile(startup=True)
        batch = [_intent(i) for i in range(intents)]
        latencies: list[float] = []
        started = time.perf_counter()
        for intent in batch:
            t0 = time.perf_counter()
            decision = RiskDecision(
                symbol=intent.symbol,
                as_of=intent.signal_time,
                verdict=Verdict.APPROVED,
                quantity=intent.quantity,
            )
            with session_scope(engine) as session:
                service.store_intent(session, intent, decision)
            service.execute(intent.client_order_id)
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - started
        filled = sum(1 for o in service.orders(limit=intents) if o.filled_quantity > 0)
        duplicates = sum(1 for n in venue.stats.accepted.values() if n > 1)
        engine.dispose()
    ms = {k: round(v * 1000, 3) for k, v in percentiles(latencies).items()}
    return {
        "sqlite_synchronous": synchronous,
        "intents": intents,
        "filled": filled,
        "duplicates": duplicates,
        "seconds": round(elapsed, 3),
        "fills_per_s": round(filled / elapsed, 1),
        "latency_ms": ms,
    }


def run(
    intents: int = 2000,
    kill_switch: bool = True,
    redis_url: str | None = None,
    positions: int = 3,
) -> dict[str, Any]:
    """Intents → fills per second, durable (FULL) and NORMAL SQLite; and the kill switch's
    time-to-block and time-to-flat, embedded and Celery (:mod:`benchmarks.killswitch`)."""
    out: dict[str, Any] = {
        "scenario": "execution: store_intent + execute → paper fill (full idempotent path)",
        "machine": machine(),
        "results": [_one(intents, "FULL"), _one(intents, "NORMAL")] if intents else [],
    }
    if kill_switch:
        from benchmarks.killswitch import run as kill_switch_run

        out["kill_switch"] = kill_switch_run(redis_url=redis_url, positions=positions)
    return out
