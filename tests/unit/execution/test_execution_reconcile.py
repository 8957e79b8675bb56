"""Start-up and periodic reconciliation: our records are moved to the venue's truth, every
fix journaled; trading stays blocked until start-up reconciliation succeeded; a second
pass finds nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from tests.unit.execution.execution_kit import T0, intent_at, make_env

from quorum.domain import JournalKind, OrderState, OrderType, Side
from quorum.execution import (
    ExecutionService,
    ExecutionSettings,
    Faults,
    InProcessPaperBroker,
    NetPosition,
    PaperSettings,
    PaperVenue,
    TradingBlocked,
    balance_drift,
    missing_trades,
    position_drift,
    repo,
)
from quorum.ports import BrokerTrade, OrderRequest
from quorum.store import session_factory, session_scope


def _outside(
    env_venue: object, cid: str, side: Side, kind: OrderType, qty: str, price: str | None = None
) -> None:
    venue = env_venue
    venue.submit(  # type: ignore[attr-defined]
        OrderRequest(
            client_order_id=cid,
            symbol="BTC/USDT",
            side=side,
            order_type=kind,
            quantity=Decimal(qty),
            price=None if price is None else Decimal(price),
            sent_at=T0,
        )
    )


def test_start_up_from_an_empty_cache_adopts_the_venue_and_unblocks_trading(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path, ready=False, paper=PaperSettings(partial_fill_ratio=Decimal("0.5")))
    venue = env.venue
    _outside(venue, "manual-buy-1", Side.BUY, OrderType.MARKET, "2")  # half fills now
    _outside(venue, "web-limit-1", Side.BUY, OrderType.LIMIT, "1", "90")  # rests
    venue.set_quote("BTC/USDT", Decimal("99.5"), Decimal("100.5"), Decimal(100))  # more fills
    with session_scope(env.engine) as session:  # a stale local position the venue lacks
        repo.put_position(session, _eth(), T0)
    order = env.stored(**intent_at(1))

    with pytest.raises(TradingBlocked):
        env.service.execute(order.client_order_id)
    reports = env.service.reconcile(startup=True)
    second = env.service.reconcile()

    events = {d["event"] for d in reports[0].drifts}
    assert {"adopted_external_order", "order_updated", "position_fixed", "balance_fixed"} <= events
    assert second[0].drifts == []
    ours = {p.symbol: p.quantity for p in env.service.positions() if p.quantity}
    assert ours == {p.symbol: p.quantity for p in venue.positions()}
    adopted = {o.client_order_id: o for o in env.service.orders()}
    assert adopted["manual-buy-1"].filled_quantity == Decimal("1.5")
    assert adopted["manual-buy-1"].state is OrderState.PARTIALLY_FILLED
    assert adopted["web-limit-1"].state is OrderState.ACKNOWLEDGED
    closed = env.journal.read(kinds=[JournalKind.POSITION])
    assert closed[-1].payload["reason"] == "reconciliation"
    sent = env.service.execute(order.client_order_id)  # unblocked; half fills (ratio 0.5)
    assert sent.state is OrderState.PARTIALLY_FILLED
    assert env.service.reconcile()[0].drifts  # the new fill moved balances
    assert env.service.reconcile()[0].drifts == []


def _eth() -> NetPosition:
    return NetPosition(
        venue="paper",
        symbol="ETH/USDT",
        quantity=Decimal(3),
        average_entry=Decimal(2000),
        realized_pnl=Decimal(0),
        fees=Decimal(0),
        opened_at=T0,
    )


def test_a_working_order_the_venue_does_not_know_is_cancelled_toward_its_truth(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path)
    order = env.stored(**intent_at(1), order_type="limit", price=Decimal(99))
    env.service.execute(order.client_order_id)  # rests at the venue
    env.venue.cancel(order.client_order_id)  # cancelled outside the system

    report = env.service.reconcile()[0]

    assert env.service.order(order.client_order_id).state is OrderState.CANCELLED
    assert any(d["event"] == "order_updated" for d in report.drifts)
    assert env.service.reconcile()[0].drifts == []


def test_a_crash_between_the_submitting_commit_and_the_send_is_resent_after_the_deadline(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path)
    order = env.stored(**intent_at(1))
    executor = env.service.executor
    submitting = executor.transition(
        order,
        OrderState.SUBMITTING,
        "crashed right after this commit",
        attempts=1,
        submit_deadline=env.clock.now() + timedelta(seconds=1),
    )
    assert submitting is not None

    report = env.service.reconcile(startup=True)[0]  # a restart: lookups only
    env.service.run_pending()  # before the deadline: nothing sent

    assert report.unresolved == [order.client_order_id]
    assert env.venue.stats.submits == 0
    env.clock.advance(timedelta(seconds=2))
    env.service.run_pending()
    assert env.service.order(order.client_order_id).state is OrderState.FILLED
    assert env.venue.stats.accepted[order.client_order_id] == 1


def test_reconciliation_never_sends_an_order(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    for i in range(3):
        env.stored(**intent_at(i))

    env.service.reconcile()

    assert env.venue.stats.submits == 0


def test_pure_comparisons_report_only_differences() -> None:
    trade = BrokerTrade(
        venue_trade_id="T1",
        venue_order_id="P1",
        client_order_id="c",
        symbol="BTC/USDT",
        side=Side.BUY,
        quantity=Decimal(1),
        price=Decimal(1),
        fee=Decimal(0),
        fee_currency="USDT",
        liquidity="taker",  # type: ignore[arg-type]
        ts=T0,
    )
    assert missing_trades({"T1"}, [trade]) == []
    assert missing_trades(set(), [trade]) == [trade]
    assert position_drift(Decimal(1), Decimal(1)) is None
    assert position_drift(Decimal(1), Decimal("1.5")) == Decimal("0.5")
    assert balance_drift({"USDT": Decimal(5)}, {"USDT": Decimal(5), "BTC": Decimal(1)}) == {
        "BTC": (Decimal(0), Decimal(1))
    }


def test_a_filled_order_placed_outside_the_system_is_adopted_with_its_fills(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path)
    _outside(env.venue, "manual-2", Side.BUY, OrderType.MARKET, "1")  # fills at once

    report = env.service.reconcile()[0]

    events = [d["event"] for d in report.drifts]
    assert "adopted_external_order" in events
    (recorded,) = [d for d in report.drifts if d["event"] == "fills_recorded"]
    assert recorded["client_order_id"] == "manual-2"
    assert len(recorded["venue_trade_ids"]) == 1
    adopted = env.service.order("manual-2")
    assert adopted.state is OrderState.FILLED
    assert adopted.filled_quantity == Decimal(1)
    assert {p.symbol: p.quantity for p in env.service.positions() if p.quantity} == {
        "BTC/USDT": Decimal(1)
    }
    assert env.service.reconcile()[0].drifts == []


def test_a_resting_order_a_reset_venue_has_never_heard_of_is_cancelled_and_reported(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path)
    order = env.stored(**intent_at(1), order_type="limit", price=Decimal(99))
    assert env.service.execute(order.client_order_id).state is OrderState.ACKNOWLEDGED
    reset = PaperVenue(env.clock, PaperSettings(recv_window_s=1.0))  # e.g. a wiped testnet
    reset.set_quote("BTC/USDT", Decimal("99.5"), Decimal("100.5"), Decimal(100))
    service = ExecutionService(
        session_factory(env.engine),
        env.journal,
        env.clock,
        {"paper": InProcessPaperBroker(reset, faults=Faults())},
        settings=ExecutionSettings(resolve_spacing_s=0.1),
    )

    first = service.reconcile(startup=True)[0]  # inside its deadline: may not be indexed
    env.clock.advance(timedelta(seconds=2))
    report = service.reconcile()[0]

    assert first.unresolved == [order.client_order_id]
    assert service.order(order.client_order_id).state is OrderState.CANCELLED
    missing = [d for d in report.drifts if d["event"] == "order_missing_at_venue"]
    assert [d["client_order_id"] for d in missing] == [order.client_order_id]
    assert reset.stats.submits == 0
