"""What the execution parts share (:class:`ExecContext`), the read-only unit of work,
and the submit metrics."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from sqlmodel import Session

from quorum.clock import Clock
from quorum.execution.controls import Controls
from quorum.execution.errors import TradingBlocked
from quorum.execution.resilience import BreakerState, GuardedBroker
from quorum.execution.settings import ExecutionSettings
from quorum.execution.sync import OrderSync
from quorum.ports import JournalAppender
from quorum.store import SQLITE_BEGIN_OPTION, SessionFactory
from quorum.telemetry.metrics import metrics


def observe_submit(venue: str, outcome: str, seconds: float, broker: GuardedBroker) -> None:
    m = metrics()
    m.submit_ack.labels(venue, outcome).observe(seconds)
    m.breaker_open.labels(venue).set(1 if broker.breaker.state is BreakerState.OPEN else 0)


@contextmanager
def read_scope(sessions: SessionFactory) -> Iterator[Session]:
    """A read-only unit of work: a deferred BEGIN on SQLite, so readers never queue for
    the write lock (writers keep ``BEGIN IMMEDIATE``)."""
    session = sessions()
    try:
        session.connection(execution_options={SQLITE_BEGIN_OPTION: "DEFERRED"})
        yield session
    finally:
        session.rollback()
        session.close()


@dataclass
class ExecContext:
    """What the execution parts share: store, journal, clock, brokers, settings."""

    sessions: SessionFactory
    journal: JournalAppender
    clock: Clock
    brokers: Mapping[str, GuardedBroker]
    settings: ExecutionSettings
    controls: Controls
    sync: OrderSync
    sleep: Callable[[float], None] = time.sleep

    def broker(self, venue: str) -> GuardedBroker:
        broker = self.brokers.get(venue)
        if broker is None:
            known = ", ".join(sorted(self.brokers))
            raise TradingBlocked(f"venue {venue!r}: no broker configured (known: {known})")
        return broker
