"""``quorum.sweep`` through the Celery task wrapper and a real Redis broker: orders whose
``execute`` task was lost are re-submitted through the dispatcher and sent by the execute
worker; an entry older than ``execution.max_intent_age`` is expired, not sent."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from apps.bootstrap import build_pipeline, build_runtime
from quorum.clock import ReplayClock, SystemClock
from quorum.config import AppSettings
from quorum.domain import OrderIntent, OrderLeg, OrderState, OrderType, RiskDecision, Side, Verdict
from quorum.pipeline import EmbeddedDispatcher, PipelineTasks
from quorum.pipeline.options import PipelineOptions
from quorum.store import session_scope

SYMBOL = "ETH/USDT"
DEADLINE_S = 60.0


def _settings(tmp: Path, broker: str) -> AppSettings:
    return AppSettings(
        broker_url=broker,
        database={"url": f"sqlite:///{tmp / 'quorum.db'}"},
        journal={"local_key_path": str(tmp / "journal.key")},
        flags={"file_path": str(tmp / "flags.json"), "audit_path": str(tmp / "audit.jsonl")},
        pipeline={
            "symbols": [SYMBOL],
            "timeframes": ["15m"],
            "base": "15m",
            "history_bars": 400,
            "data": "synthetic",
        },
        worker={"beat_key_prefix": f"test:{tmp.name}:"},
    )


def _store(tasks: PipelineTasks, minutes_ago: int, quantity: str) -> str:
    """An approved entry stored ``minutes_ago`` (wall time) whose execute task was lost."""
    deps = tasks.deps
    assert isinstance(deps.clock, ReplayClock)
    deps.clock.set(SystemClock().now() - timedelta(minutes=minutes_ago))
    now = deps.clock.now()
    intent = OrderIntent(
        run_id=deps.run_id,
        strategy="test",
        symbol=SYMBOL,
        signal_time=now,
        side=Side.BUY,
        leg=OrderLeg.ENTRY,
        order_type=OrderType.MARKET,
        quantity=Decimal(quantity),
    )
    decision = RiskDecision(
        symbol=SYMBOL, as_of=now, verdict=Verdict.APPROVED, quantity=Decimal(quantity)
    )
    with session_scope(deps.engine) as session:
        assert deps.execution.store_intent(session, intent, decision).status == "stored"
    return intent.client_order_id


def test_beats_sweep_task_resubmits_a_lost_entry_and_expires_a_stale_one(
    tmp_path: Path, clean_redis: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from celery.contrib.testing.worker import start_worker

    from apps.worker.factory import create_app

    for key in [k for k in os.environ if k.startswith(("QUORUM_", "OTEL_"))]:
        if not key.startswith("QUORUM_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    settings = _settings(tmp_path, clean_redis)
    clock = ReplayClock(SystemClock().now() - timedelta(minutes=30))
    runtime = build_runtime(settings, clock=clock)
    try:
        options = PipelineOptions(clock=clock, run_id="pipeline")
        seeder = build_pipeline(runtime, EmbeddedDispatcher(), options)
        stale = _store(seeder, 20, "0.1")  # over max_intent_age[15m] = 5 min
        fresh = _store(seeder, 2, "0.2")  # past the sweep's grace, well inside the age
        app = create_app(settings)
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            app.send_task("quorum.sweep", kwargs={})  # what beat sends
            deadline = time.monotonic() + DEADLINE_S
            states: dict[str, OrderState] = {}
            while time.monotonic() < deadline:
                states = {cid: seeder.deps.execution.order(cid).state for cid in (stale, fresh)}
                if states == {stale: OrderState.EXPIRED, fresh: OrderState.FILLED}:
                    break
                time.sleep(0.2)
        assert states == {stale: OrderState.EXPIRED, fresh: OrderState.FILLED}
        assert "max_intent_age[15m]" in (seeder.deps.execution.order(stale).last_error or "")
    finally:
        runtime.close()
