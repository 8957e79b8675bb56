"""An ``execute`` that outlives the broker's visibility timeout is redelivered to another
worker process; the copy finds the order at the shared paper venue and sends nothing.

Real redis-server, two real ``celery worker`` processes over one SQLite file. The venue's
``submit_reply_delay_s`` fault (stored with the venue, so the worker processes see it)
holds the reply to an accepted submit far longer than the test-shortened visibility
timeout. The workers use the ``threads`` pool: Celery's hard time limit (prefork) would
otherwise end the slow task first — ``WorkerSettings`` insists the visibility timeout
exceed every hard limit, so only a task that escapes its limit can outlive the timeout.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.integration.worker.kit import Cluster, RedisServer, wait_until

from quorum.clock import SystemClock
from quorum.config import AppSettings
from quorum.domain import OrderIntent, OrderLeg, OrderType, RiskDecision, Side, Verdict
from quorum.execution import PAPER, ExecutionService
from quorum.execution.paper import (
    FaultSettings,
    InProcessPaperBroker,
    PaperSettings,
    StoredPaperVenue,
)
from quorum.store import session_factory, session_scope

pytestmark = [pytest.mark.integration, pytest.mark.worker_processes]

START = 120.0  # two cold workers import LangGraph and LiteLLM on a busy 2-CPU host
VISIBILITY_S = 4
REPLY_DELAY_S = 20.0
_TASKS = (
    "plan",
    "scan",
    "analyze",
    "execute",
    "monitor",
    "reconcile",
    "daily_reset",
    "refresh",
    "sweep",
)
CONFIG = f"""\
pipeline:
  symbols: [BTC/USDT]
  timeframes: [15m]
  base: 15m
  data: synthetic
  finalization_delay_s: 0
worker:
  visibility_timeout_s: {VISIBILITY_S}
  unacked_restore_interval_s: 1
  retry_backoff_max_s: 1
  time_limits:
""" + "".join(f"    {task}: {{soft_s: 1, hard_s: 2}}\n" for task in _TASKS)


def _settings(c: Cluster) -> AppSettings:
    """The workers' settings, as the test process needs them (same files, same database)."""
    env = c.env
    return AppSettings.model_validate(
        {
            "database": {"url": env["QUORUM_DATABASE__URL"]},
            "journal": {"local_key_path": env["QUORUM_JOURNAL__LOCAL_KEY_PATH"]},
            "flags": {
                "file_path": env["QUORUM_FLAGS__FILE_PATH"],
                "audit_path": env["QUORUM_FLAGS__AUDIT_PATH"],
            },
            "broker_url": c.broker,
            "worker": {
                "visibility_timeout_s": VISIBILITY_S,
                "retry_backoff_max_s": 1,
                "time_limits": {t: {"soft_s": 1, "hard_s": 2} for t in _TASKS},
            },
        }
    )


def _store_slow_order(settings: AppSettings) -> str:
    """The venue (as ``build_pipeline`` opens it) with a slow submit reply, and one stored
    market order waiting to be executed."""
    from apps.bootstrap import build_runtime

    runtime = build_runtime(settings)
    try:
        clock = SystemClock()
        venue = StoredPaperVenue(
            runtime.engine,
            clock,
            PaperSettings(initial_balances={"USDT": settings.pipeline.paper_equity}),
            name=PAPER,
        )
        venue.set_faults(FaultSettings(submit_reply_delay_s=REPLY_DELAY_S))
        service = ExecutionService(
            session_factory(runtime.engine),
            runtime.journal,
            clock,
            {PAPER: InProcessPaperBroker(venue)},
        )
        now = clock.now()
        intent = OrderIntent(
            run_id="pipeline",
            strategy="visibility-test",
            symbol="BTC/USDT",
            signal_time=now - timedelta(minutes=1),
            side=Side.BUY,
            leg=OrderLeg.ENTRY,
            order_type=OrderType.MARKET,
            quantity=Decimal("0.001"),
        )
        decision = RiskDecision(
            symbol="BTC/USDT", as_of=now, verdict=Verdict.APPROVED, quantity=Decimal("0.001")
        )
        with session_scope(runtime.engine) as session:
            outcome = service.store_intent(session, intent, decision)
        assert outcome.status == "stored", outcome.reason
        return intent.client_order_id
    finally:
        runtime.close()


def _received(c: Cluster, cid: str) -> list[str]:
    """The worker logs that received ``quorum.execute[cid]`` (one entry per delivery)."""
    pattern = re.compile(rf"Task quorum\.execute\[{re.escape(cid)}\] received")
    return [
        name for name in ("worker-a.log", "worker-b.log") for _ in pattern.finditer(c.log(name))
    ]


def _succeeded(c: Cluster, cid: str) -> int:
    pattern = re.compile(rf"Task quorum\.execute\[{re.escape(cid)}\] succeeded")
    return sum(len(pattern.findall(c.log(n))) for n in ("worker-a.log", "worker-b.log"))


def _journal(c: Cluster, cid: str) -> list[str]:
    rows = c.rows(
        "SELECT payload FROM journal_entries WHERE payload LIKE :p ORDER BY seq",
        p=f"%{cid}%",
    )
    return [str(r[0]) for r in rows]


def _sender(settings: AppSettings) -> Callable[..., None]:
    from apps.worker.factory import create_app

    app = create_app(settings)

    def send(task: str, queue: str, **kwargs: Any) -> None:
        key = kwargs.get("client_order_id")
        app.send_task(f"quorum.{task}", kwargs=kwargs, task_id=key, queue=queue)

    return send


def test_an_execute_outliving_the_visibility_timeout_is_redelivered_and_the_copy_sends_nothing(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    c = Cluster(tmp_path, redis_server.url)
    c.config.write_text(CONFIG)
    settings = _settings(c)
    send = _sender(settings)
    try:
        cid = _store_slow_order(settings)
        c.worker("execute,warm_a", "a@test", pool="threads")
        c.worker("execute,warm_b", "b@test", pool="threads")
        for name in ("a", "b"):  # build each process's pipeline before the slow task
            send("reconcile", f"warm_{name}")
        wait_until(
            "both workers to build their pipelines",
            lambda: all("pipeline ready" in c.log(f"worker-{n}.log") for n in "ab"),
            START,
        )
        send("execute", "execute", client_order_id=cid)
        wait_until("the redelivered copy", lambda: len(_received(c, cid)) >= 2, 60)
        wait_until("both runs to finish", lambda: _succeeded(c, cid) >= 2, REPLY_DELAY_S + 60)

        receivers = _received(c, cid)
        assert sorted(receivers) == ["worker-a.log", "worker-b.log"]  # one delivery each
        venue_orders = c.rows(
            "SELECT count(*) FROM paper_orders WHERE client_order_id = :cid", cid=cid
        )
        assert venue_orders[0][0] == 1
        counters = c.rows("SELECT counters FROM paper_venues WHERE name = 'paper'")
        assert '"submits":1' in counters[0][0]
        order = c.rows(
            "SELECT state, attempts FROM execution_orders WHERE client_order_id = :cid", cid=cid
        )
        assert tuple(order[0]) == ("filled", 1)
        entries = _journal(c, cid)
        assert sum("resolved by lookup" in e for e in entries) == 1  # the copy reconciled
        assert not any("resend" in e for e in entries)
        fills = c.rows("SELECT count(*) FROM execution_fills WHERE client_order_id = :cid", cid=cid)
        assert fills[0][0] == 1
    except AssertionError:
        print(c.logs())
        print("\n".join(_journal(c, cid) if "cid" in locals() else []))
        raise
    finally:
        c.close()
