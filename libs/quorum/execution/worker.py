"""The outbox worker loop, as a harness for the HTTP paper exchange and the chaos tests.

:func:`build` makes an engine (migrated unless told otherwise), a journal and the
service over one broker; :func:`run` reconciles until it succeeds (nothing is sent
before), then resolves unknown / stale submitting orders, sends new ones and reconciles
every ``reconcile_interval_s``. It is not a process anything deploys: its journal has no
checkpoints (a test database), and every runnable append path builds the one
checkpointing journal in ``apps.bootstrap``. Deployments send through the pipeline's
``execute`` and ``sweep`` tasks, which call the same :meth:`ExecutionService.execute`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from quorum.clock import Clock, SystemClock
from quorum.domain import OrderState
from quorum.errors import BrokerError
from quorum.execution.service import PAPER, ExecutionService
from quorum.execution.settings import ExecutionSettings
from quorum.journal import Journal
from quorum.ports import Broker
from quorum.store import SqliteSynchronous, create_engine_for, migrate, session_factory

_log = logging.getLogger(__name__)
PENDING = frozenset({OrderState.NEW, OrderState.SUBMITTING, OrderState.UNKNOWN})


@dataclass
class Worker:
    service: ExecutionService
    engine: Engine
    journal: Journal
    broker: Broker


def build(
    db_url: str,
    broker: Broker,
    *,
    clock: Clock | None = None,
    settings: ExecutionSettings | None = None,
    sqlite_synchronous: SqliteSynchronous = "FULL",
    sleep: Callable[[float], None] = time.sleep,
    migrate_schema: bool = True,
    engine: Engine | None = None,
) -> Worker:
    """Engine (migrated unless told otherwise), journal and service for ``broker`` as the
    paper venue. ``engine`` reuses an existing engine (e.g. one a fork parent warmed up)."""
    clock = clock or SystemClock()
    engine = engine or create_engine_for(db_url, sqlite_synchronous=sqlite_synchronous)
    if migrate_schema:
        migrate(engine)
    journal = Journal(engine, clock)
    service = ExecutionService(
        session_factory(engine), journal, clock, {PAPER: broker}, settings=settings, sleep=sleep
    )
    return Worker(service, engine, journal, broker)


def run(
    service: ExecutionService,
    *,
    poll_s: float = 0.05,
    until_idle: bool = False,
    stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Reconcile at start-up (retrying), then work the outbox until ``stop()``."""
    while not service.ready and not stop():
        try:
            service.reconcile(startup=True)
        except BrokerError as exc:
            _log.warning("start-up reconciliation failed, trading stays blocked: %s", exc)
            sleep(max(poll_s, 0.1))
    while not stop():
        acted = service.run_pending()
        if service.reconcile_due():
            try:
                service.reconcile()
            except BrokerError as exc:
                _log.warning("periodic reconciliation failed: %s", exc)
        if until_idle and not service.orders(set(PENDING), limit=1):
            return
        if not acted:
            sleep(poll_s)
