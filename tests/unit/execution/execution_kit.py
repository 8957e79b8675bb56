"""Shared builders for the execution tests: a migrated store, a paper venue, a service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from quorum.clock import ReplayClock
from quorum.domain import OrderIntent, RiskDecision, Verdict
from quorum.execution import (
    ExecOrder,
    ExecutionService,
    ExecutionSettings,
    Faults,
    FaultSettings,
    InProcessPaperBroker,
    IntentOutcome,
    PaperSettings,
    PaperVenue,
)
from quorum.journal import Journal
from quorum.store import create_engine_for, migrate, session_factory, session_scope
from quorum.testing import make_order_intent

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SYMBOL = "BTC/USDT"
PRICE = Decimal(100)


@dataclass
class Env:
    engine: Engine
    journal: Journal
    clock: ReplayClock
    venue: PaperVenue
    broker: InProcessPaperBroker
    service: ExecutionService
    sleeps: list[float] = field(default_factory=list)

    def store(self, **overrides: Any) -> IntentOutcome:
        intent = make_order_intent(**overrides)
        with session_scope(self.engine) as session:
            return self.service.store_intent(session, intent, approve(intent))

    def stored(self, **overrides: Any) -> ExecOrder:
        outcome = self.store(**overrides)
        assert outcome.order is not None, outcome.reason
        return outcome.order

    def journal_kinds(self) -> list[str]:
        return [e.kind.value for e in self.journal.read()]


def approve(intent: OrderIntent, quantity: Decimal | None = None) -> RiskDecision:
    return RiskDecision(
        symbol=intent.symbol,
        as_of=intent.signal_time,
        verdict=Verdict.APPROVED,
        quantity=quantity if quantity is not None else intent.quantity,
        reason="approved for the test",
    )


def intent_at(i: int, **overrides: Any) -> dict[str, Any]:
    """Overrides for the i-th distinct intent (its own signal time, so its own client id)."""
    return {"signal_time": T0 + timedelta(minutes=i), **overrides}


def make_env(
    tmp_path: Path,
    *,
    paper: PaperSettings | None = None,
    faults: FaultSettings | None = None,
    settings: ExecutionSettings | None = None,
    mode: Callable[[], str] = lambda: "paper",
    ready: bool = True,
    url: str | None = None,
    schema: str | None = None,
) -> Env:
    if url is None:
        engine = create_engine_for(f"sqlite:///{tmp_path / 'exec.db'}", sqlite_synchronous="OFF")
    else:
        engine = create_engine_for(url, schema=schema)
    migrate(engine)
    clock = ReplayClock(T0)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    venue = PaperVenue(clock, paper or PaperSettings(recv_window_s=1.0))
    venue.set_quote(SYMBOL, PRICE - Decimal("0.5"), PRICE + Decimal("0.5"), PRICE)
    broker = InProcessPaperBroker(venue, faults=Faults(faults), sleep=sleep)
    journal = Journal(engine, clock)
    service = ExecutionService(
        session_factory(engine),
        journal,
        clock,
        {"paper": broker},
        settings=settings or ExecutionSettings(resolve_spacing_s=0.1),
        mode=mode,
        sleep=sleep,
    )
    if ready:
        service.reconcile(startup=True)
    return Env(engine, journal, clock, venue, broker, service, sleeps)
