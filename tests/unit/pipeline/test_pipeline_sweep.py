"""Issue #18 item 3: orders stranded by a venue outage are swept — exits and fresh entries
re-submitted once the venue is back, stale entries expired with a journaled reason."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.unit.pipeline.kit import Kit, make_kit, open_position

from quorum.domain import OrderIntent, OrderLeg, OrderState, OrderType, RiskDecision, Side, Verdict
from quorum.errors import QuorumError
from quorum.execution import ExecutionSettings, InProcessPaperBroker
from quorum.pipeline import run_task
from quorum.pipeline.persistence import Trade, insert_trade, trades
from quorum.pipeline.sweep_task import backoff_delay
from quorum.store import session_scope
from quorum.store.tables.journal import journal_table

SYMBOL = "BTC/USDT"


def _paper(kit: Kit) -> InProcessPaperBroker:
    inner = kit.tasks.deps.execution.ctx.brokers["paper"].inner
    assert isinstance(inner, InProcessPaperBroker)
    return inner


def _store(kit: Kit, leg: OrderLeg, side: Side, quantity: str, *, trade: bool = False) -> str:
    """Store an approved intent as analyze / monitor would (and, for an entry, its
    pending trade); return its client order id."""
    deps = kit.tasks.deps
    now = kit.clock.now()
    intent = OrderIntent(
        run_id=deps.run_id,
        strategy="test",
        symbol=SYMBOL,
        signal_time=now,
        side=side,
        leg=leg,
        order_type=OrderType.MARKET,
        quantity=Decimal(quantity),
        reduce_only=leg is not OrderLeg.ENTRY,
    )
    decision = RiskDecision(
        symbol=SYMBOL, as_of=now, verdict=Verdict.APPROVED, quantity=Decimal(quantity)
    )
    with session_scope(deps.engine) as session:
        assert deps.execution.store_intent(session, intent, decision).status == "stored"
        if trade:
            insert_trade(
                session,
                Trade(
                    trade_id=intent.client_order_id,
                    run_id=deps.run_id,
                    venue="paper",
                    symbol=SYMBOL,
                    direction="long",
                    signal_id=f"sig-{intent.client_order_id}",
                    state="pending",
                    stop=Decimal(1),
                    initial_stop=Decimal(1),
                    take_profit=None,
                    best_price=None,
                    exit_orders=(),
                    pnl=None,
                    r_multiple=None,
                    learned=False,
                    opened_at=now,
                    closed_at=None,
                    version=1,
                ),
            )
    return intent.client_order_id


def _try_execute(kit: Kit, cid: str) -> str:
    """What the execute task did during the outage: its result state, or the error it
    raised (Celery would not retry a TradingBlocked)."""
    try:
        return str(kit.tasks.execute(cid)["status"])
    except QuorumError as exc:
        return type(exc).__name__


def _drain(kit: Kit) -> int:
    return kit.dispatcher.drain(lambda task, kwargs: run_task(kit.tasks, task, kwargs))


def _state(kit: Kit, cid: str) -> OrderState:
    return kit.tasks.deps.execution.order(cid).state


def _stranded(kit: Kit) -> tuple[str, str, str]:
    """A long position; then, while the venue is down, a stale entry (stored at t0, with
    its pending trade), its exit (t0) and a fresh entry (t0 + 9 min), each executed once
    and failing; the clock ends at t0 + 10 min with the venue back."""
    open_position(kit, "0.5")
    kit.clock.advance(timedelta(seconds=1))
    _paper(kit).faults.set_down(True)
    stale = _store(kit, OrderLeg.ENTRY, Side.BUY, "0.1", trade=True)
    kit.clock.advance(timedelta(seconds=1))
    exit_ = _store(kit, OrderLeg.EXIT, Side.SELL, "0.5")
    for cid in (stale, exit_):
        assert _try_execute(kit, cid) in {"unknown", "new", "TradingBlocked"}
    kit.clock.advance(timedelta(minutes=9))
    fresh = _store(kit, OrderLeg.ENTRY, Side.BUY, "0.2")
    assert _try_execute(kit, fresh) in {"unknown", "new", "TradingBlocked"}
    kit.clock.advance(timedelta(minutes=1))
    _paper(kit).faults.set_down(False)
    return stale, exit_, fresh


def test_without_a_sweep_the_beat_tasks_leave_the_outage_orders_unsent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        stranded = _stranded(kit)
        kit.tasks.monitor()
        kit.tasks.reconcile()
        _drain(kit)
        states = {_state(kit, cid) for cid in stranded}
        assert states <= {OrderState.NEW, OrderState.UNKNOWN}
        assert _paper(kit).venue.open_orders() == []
        assert [p.quantity for p in kit.tasks.deps.execution.positions()] == [Decimal("0.5")]
    finally:
        kit.close()


def test_the_sweep_sends_exits_and_fresh_entries_and_expires_the_stale_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        stale, exit_, fresh = _stranded(kit)
        result = kit.tasks.sweep()
        assert result["expired"] == [stale]
        assert sorted(result["submitted"]) == sorted([exit_, fresh])
        _drain(kit)
        assert _state(kit, exit_) is OrderState.FILLED
        assert _state(kit, fresh) is OrderState.FILLED
        assert _state(kit, stale) is OrderState.EXPIRED
        # 0.5 long, exit 0.5, fresh entry 0.2: the stale 0.1 was never bought
        assert [p.quantity for p in kit.tasks.deps.execution.positions()] == [Decimal("0.2")]
        deps = kit.tasks.deps
        with deps.engine.connect() as conn:
            (trade,) = [t for t in trades(conn, run_id=deps.run_id) if t.trade_id == stale]
            payloads = [
                json.loads(row.payload)
                for row in conn.execute(select(journal_table()).order_by("seq"))
                if row.kind == "order_update"
            ]
        assert trade.state == "cancelled"
        (expiry,) = [p for p in payloads if p.get("state") == "expired"]
        assert expiry["client_order_id"] == stale
        assert "execution.max_intent_age[15m]" in expiry["reason"]
        assert stale in expiry["reason"]
        # a second sweep finds nothing left to do
        again = kit.tasks.sweep()
        assert again["submitted"] == []
        assert again["expired"] == []
        assert again["pending"] == 0
    finally:
        kit.close()


def test_a_late_execute_task_expires_a_stale_entry_instead_of_sending_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        stale, exit_, _ = _stranded(kit)
        assert kit.tasks.execute(stale)["status"] == "expired"
        assert kit.tasks.execute(exit_)["status"] == "filled"  # exits are never expired
    finally:
        kit.close()


def test_sweep_retries_back_off_per_order_and_survive_a_new_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        open_position(kit, "0.5")
        kit.clock.advance(timedelta(seconds=1))
        _paper(kit).faults.set_down(True)  # the venue stays down throughout
        exit_ = _store(kit, OrderLeg.EXIT, Side.SELL, "0.5")
        start = kit.clock.now()
        sent_at = []
        for _ in range(12 * 20):  # sweep every 5 s for 20 minutes
            kit.clock.advance(timedelta(seconds=5))
            if exit_ in kit.tasks.sweep()["submitted"]:
                sent_at.append((kit.clock.now() - start).total_seconds())
            kit.dispatcher.drain(
                lambda task, kwargs: (
                    _try_execute(kit, kwargs["client_order_id"])
                    if task == "execute"
                    else run_task(kit.tasks, task, kwargs)
                )
            )
        settings = ExecutionSettings()
        gaps = [b - a for a, b in itertools.pairwise(sent_at)]
        assert len(sent_at) >= 5
        for n, gap in enumerate(gaps, start=1):
            delay = backoff_delay(settings, exit_, n)
            assert delay <= gap < delay + 5  # due after its delay, sent at the next sweep
        ceiling = settings.sweep_backoff_max_s
        assert all(gap <= ceiling + 5 for gap in gaps)  # bounded by the cap
        assert _state(kit, exit_) in {OrderState.NEW, OrderState.UNKNOWN}  # never expired
        # the backoff is in the database: another process sweeping now waits as well
        other = make_kit()
        try:
            other.clock.set(kit.clock.now())
            result = other.tasks.sweep()
            assert result["submitted"] == []
            assert result["waiting"] == 1
        finally:
            other.close()
    finally:
        kit.close()


def test_backoff_delays_grow_exponentially_with_jitter_and_stop_at_the_cap() -> None:
    settings = ExecutionSettings(sweep_backoff_base_s=5, sweep_backoff_max_s=300)
    for n in range(1, 12):
        ceiling = min(300.0, 5 * 2 ** (n - 1))
        delay = backoff_delay(settings, "cid-1", n)
        assert ceiling / 2 <= delay <= ceiling
    assert backoff_delay(settings, "cid-1", 3) == backoff_delay(settings, "cid-1", 3)
    with pytest.raises(ValueError, match="cid-1"):
        backoff_delay(settings, "cid-1", 0)
