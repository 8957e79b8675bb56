"""The submit path: journal, CAS to submitting, send once under the client id, record the
answer; unknown outcomes are resolved by lookup and resent only when provably absent."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from tests.unit.execution.execution_kit import Env, intent_at, make_env

from quorum.domain import JournalKind, OrderState
from quorum.errors import BrokerTransient, OrderStatusUnknown
from quorum.execution import FaultSettings, PaperSettings, TradingBlocked
from quorum.execution.repo import get_order
from quorum.ports import BrokerOrder, OrderRequest
from quorum.store import session_scope


def test_a_market_intent_is_sent_once_and_filled_at_the_ask_with_fees(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    order = env.stored(**intent_at(1))

    done = env.service.execute(order.client_order_id)

    assert done.state is OrderState.FILLED
    assert done.filled_quantity == Decimal("0.5")
    assert done.average_price == Decimal("100.5")
    assert done.fees == Decimal("0.5") * Decimal("100.5") * Decimal("0.001")
    assert done.venue_order_id is not None
    assert env.venue.stats.accepted[order.client_order_id] == 1


def test_the_submitting_state_and_its_entry_are_committed_before_the_send(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    order = env.stored(**intent_at(1))
    seen: list[tuple[str, str]] = []
    real_submit = env.broker.submit

    def spy(request: OrderRequest) -> BrokerOrder:
        with session_scope(env.engine) as session:  # a separate connection: committed data only
            stored = get_order(session, request.client_order_id)
        assert stored is not None
        last = env.journal.read(newest_first=True, limit=1)[0]
        seen.append((stored.state.value, last.payload["state"]))
        return real_submit(request)

    env.broker.submit = spy  # type: ignore[method-assign]
    env.service.execute(order.client_order_id)

    assert seen == [("submitting", "submitting")]


def test_nothing_is_sent_before_start_up_reconciliation_succeeds(tmp_path: Path) -> None:
    env = make_env(tmp_path, ready=False)
    order = env.stored(**intent_at(1))

    with pytest.raises(TradingBlocked, match="start-up reconciliation"):
        env.service.execute(order.client_order_id)
    env.service.reconcile(startup=True)

    assert env.service.execute(order.client_order_id).state is OrderState.FILLED


def test_redelivered_execute_calls_reconcile_instead_of_sending_again(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    order = env.stored(**intent_at(1))

    states = {env.service.execute(order.client_order_id).state for _ in range(5)}

    assert states == {OrderState.FILLED}
    assert env.venue.stats.submits == 1


def test_an_ambiguous_reply_after_acceptance_is_resolved_by_lookup_never_resent(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path, faults=FaultSettings(ambiguous_probability=1.0))
    order = env.stored(**intent_at(1))

    done = env.service.execute(order.client_order_id)

    assert done.state is OrderState.FILLED
    assert env.venue.stats.accepted[order.client_order_id] == 1
    updates = [e.payload for e in env.journal.read(kinds=[JournalKind.ORDER_UPDATE])]
    assert [u["state"] for u in updates] == ["submitting", "unknown", "filled"]


class LostRequests:
    """Fails the next ``count`` submits before they reach the venue (a dropped request)."""

    def __init__(self, env: Env, count: int) -> None:
        self.count = count
        self.real = env.broker.submit
        env.broker.submit = self  # type: ignore[method-assign]

    def __call__(self, request: OrderRequest) -> BrokerOrder:
        if self.count > 0:
            self.count -= 1
            raise OrderStatusUnknown("timeout: the request never arrived")
        return self.real(request)


def test_a_lost_request_is_resent_with_the_same_id_only_after_its_deadline(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path)
    order = env.stored(**intent_at(1))
    LostRequests(env, 1)

    first = env.service.execute(order.client_order_id)
    again = env.service.execute(order.client_order_id)  # before the deadline: lookup only

    assert first.state is again.state is OrderState.UNKNOWN
    assert env.venue.stats.submits == 0
    env.clock.advance(timedelta(seconds=2))  # past sent_at + recv window (1 s) + skew
    done = env.service.execute(order.client_order_id)

    assert done.state is OrderState.FILLED
    assert done.attempts == 2
    assert env.venue.stats.accepted[order.client_order_id] == 1
    assert env.sleeps.count(0.1) >= 2  # three spaced lookups before the resend


def test_an_order_the_venue_indexes_late_is_found_not_duplicated(tmp_path: Path) -> None:
    env = make_env(
        tmp_path,
        paper=PaperSettings(recv_window_s=1.0, query_lag_s=0.5),
        faults=FaultSettings(ambiguous_probability=1.0),
    )
    order = env.stored(**intent_at(1))

    first = env.service.execute(order.client_order_id)
    env.clock.advance(timedelta(seconds=2))
    done = env.service.execute(order.client_order_id)

    assert first.state is OrderState.UNKNOWN
    assert done.state is OrderState.FILLED
    assert env.venue.stats.accepted[order.client_order_id] == 1


def test_a_request_arriving_after_the_receive_window_is_refused_by_the_venue(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path)
    order = env.stored(**intent_at(1))

    stale = order.request(env.clock.now() - timedelta(seconds=5))
    with pytest.raises(Exception, match="recvWindow"):
        env.venue.submit(stale)

    assert env.venue.stats.late_refused == 1


def test_a_venue_rejection_is_final_and_never_retried(tmp_path: Path) -> None:
    env = make_env(tmp_path, paper=PaperSettings(max_quantity=Decimal("0.1")))
    order = env.stored(**intent_at(1))

    done = env.service.execute(order.client_order_id)
    env.service.execute(order.client_order_id)

    assert done.state is OrderState.REJECTED
    assert "maximum" in (done.last_error or "")
    assert env.venue.stats.submits == 1


def test_a_transient_failure_leaves_the_order_unknown_never_rejected(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    order = env.stored(**intent_at(1))
    env.broker.faults.set_down(True)

    down = env.service.execute(order.client_order_id)

    assert down.state is OrderState.UNKNOWN
    env.broker.faults.set_down(False)
    env.clock.advance(timedelta(seconds=10))
    assert env.service.execute(order.client_order_id).state is OrderState.FILLED
    assert env.venue.stats.accepted[order.client_order_id] == 1


def test_concurrent_executes_of_the_same_orders_send_each_exactly_once(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    ids = [env.stored(**intent_at(i)).client_order_id for i in range(15)]
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for cid in ids:
                env.service.execute(cid)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert sorted(env.venue.stats.accepted.values()) == [1] * 15
    assert {env.service.order(cid).state for cid in ids} == {OrderState.FILLED}


def test_partial_fills_accumulate_by_trade_id_and_never_exceed_the_quantity(
    tmp_path: Path,
) -> None:
    env = make_env(
        tmp_path, paper=PaperSettings(recv_window_s=1.0, partial_fill_ratio=Decimal("0.5"))
    )
    order = env.stored(**intent_at(1), order_type="limit", price=Decimal("99"), quantity=Decimal(1))

    resting = env.service.execute(order.client_order_id)
    env.venue.set_quote("BTC/USDT", Decimal("98"), Decimal("98.5"), Decimal("98"))
    half = env.service.execute(order.client_order_id)
    again = env.service.execute(order.client_order_id)
    for _ in range(40):
        env.venue.set_quote("BTC/USDT", Decimal("98"), Decimal("98.5"), Decimal("98"))
    done = env.service.execute(order.client_order_id)

    assert resting.state is OrderState.ACKNOWLEDGED
    assert half.state is OrderState.PARTIALLY_FILLED
    assert half.filled_quantity == Decimal("0.5")
    assert again.filled_quantity == half.filled_quantity
    assert done.state is OrderState.FILLED
    assert done.filled_quantity == Decimal(1)
    fills = env.journal.read(kinds=[JournalKind.FILL])
    assert sum(Decimal(f.payload["quantity"]) for f in fills) == Decimal(1)
    assert len({f.payload["venue_trade_id"] for f in fills}) == len(fills)
    assert done.average_price is not None
    assert Decimal("98.5") <= done.average_price <= Decimal("99")


def test_the_breaker_open_keeps_new_orders_new(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    guarded = env.service.ctx.brokers["paper"]
    for _ in range(5):
        guarded.breaker.record_failure()
    order = env.stored(**intent_at(1))

    with pytest.raises(TradingBlocked, match="circuit breaker is open"):
        env.service.execute(order.client_order_id)

    assert env.service.order(order.client_order_id).state is OrderState.NEW
    assert env.venue.stats.submits == 0


def test_transient_lookups_are_retried_with_backoff(tmp_path: Path) -> None:
    env = make_env(tmp_path, faults=FaultSettings(ambiguous_probability=1.0))
    order = env.stored(**intent_at(1))
    real = env.broker.fetch_order_by_client_id
    failures = {"left": 2}

    def flaky(symbol: str, cid: str) -> BrokerOrder:
        if failures["left"]:
            failures["left"] -= 1
            raise BrokerTransient("503 on lookup")
        return real(symbol, cid)

    env.broker.fetch_order_by_client_id = flaky  # type: ignore[method-assign]

    done = env.service.execute(order.client_order_id)

    assert done.state is OrderState.FILLED
    assert failures["left"] == 0
