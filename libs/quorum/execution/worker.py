"""The outbox worker: ``python -m quorum.execution.worker --db URL --venue URL``.

Start-up: migrate, then reconcile until it succeeds (nothing is sent before). Then loop:
resolve unknown / stale submitting orders, send new ones, reconcile every
``reconcile_interval_s``; sleep ``--poll`` seconds when a pass changed nothing.
``--until-idle`` exits once no order is new, submitting or unknown. The Celery task of a
later issue calls the same :meth:`ExecutionService.execute`.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from quorum.clock import Clock, SystemClock
from quorum.domain import OrderState
from quorum.errors import BrokerError
from quorum.execution.paper.client import PaperBroker
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quorum.execution.worker")
    parser.add_argument("--db", required=True, help="database URL (sqlite:///… or postgresql://…)")
    parser.add_argument(
        "--venue", required=True, help="paper exchange URL, e.g. http://127.0.0.1:8765"
    )
    parser.add_argument("--poll", type=float, default=0.05)
    parser.add_argument("--recv-window", type=float, default=5.0)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument(
        "--lookup-lag", type=float, default=0.0, help="the venue's longest lookup lag (s)"
    )
    parser.add_argument("--until-idle", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    broker = PaperBroker(
        args.venue,
        timeout_s=args.timeout,
        recv_window_s=args.recv_window,
        lookup_lag_s=args.lookup_lag,
    )
    worker = build(args.db, broker)
    try:
        run(worker.service, poll_s=args.poll, until_idle=args.until_idle)
    except KeyboardInterrupt:
        pass
    finally:
        broker.close()
        worker.journal.close()
        worker.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
