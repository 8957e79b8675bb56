"""On PostgreSQL: the outbox's unique constraint and the CAS updates under concurrency."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import pytest
from tests.unit.execution.execution_kit import approve, intent_at, make_env

from quorum.domain import OrderState
from quorum.execution import ExecutionSettings
from quorum.store import session_scope
from quorum.testing import make_order_intent

pytestmark = pytest.mark.integration


def test_concurrent_stores_and_executes_on_postgres_send_each_intent_once(
    tmp_path: Path, postgres_url: str, pg_schema: str
) -> None:
    env = make_env(
        tmp_path,
        url=postgres_url,
        schema=pg_schema,
        settings=ExecutionSettings(throttle_max_fills=10**6),
    )
    intents = [make_order_intent(**intent_at(i), quantity=Decimal("0.1")) for i in range(20)]
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            for intent in intents:
                with session_scope(env.engine) as session:
                    outcome = env.service.store_intent(session, intent, approve(intent))
                with lock:
                    outcomes.append(outcome.status)
                env.service.execute(intent.client_order_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert outcomes.count("stored") == 20
    assert outcomes.count("duplicate") == 60
    assert sorted(env.venue.stats.accepted.values()) == [1] * 20
    assert {o.state for o in env.service.orders()} == {OrderState.FILLED}
    assert env.journal.verify().ok
    env.engine.dispose()
