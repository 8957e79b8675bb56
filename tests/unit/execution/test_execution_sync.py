"""OrderSync: venue facts (status, filled quantity, trades) applied to our records —
forward only, fills stored once and never past the order quantity, every change journaled."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.unit.execution.execution_kit import SYMBOL, T0, Env, make_env

from quorum.domain import JournalKind, Liquidity, OrderState, OrderType
from quorum.execution import ExecOrder
from quorum.execution.sync import OrderSync, transition_path, venue_state
from quorum.ports import BrokerOrder, BrokerTrade
from quorum.store import session_scope

D = Decimal
S = OrderState


def _seen(order: ExecOrder, status: str, filled: str, **kw: Any) -> BrokerOrder:
    return BrokerOrder(
        client_order_id=order.client_order_id,
        venue_order_id=kw.pop("venue_order_id", "v-1"),
        symbol=order.symbol,
        side=order.side,
        order_type=kw.pop("order_type", OrderType.MARKET),
        status=status,
        quantity=order.quantity,
        filled=D(filled),
        average_price=kw.pop("average_price", None),
        price=kw.pop("price", None),
        updated_at=T0,
    )


def _trade(order: ExecOrder, trade_id: str, quantity: str, price: str, **kw: Any) -> BrokerTrade:
    return BrokerTrade(
        venue_trade_id=trade_id,
        venue_order_id=kw.pop("venue_order_id", "v-1"),
        client_order_id=kw.pop("client_order_id", order.client_order_id),
        symbol=order.symbol,
        side=order.side,
        quantity=D(quantity),
        price=D(price),
        fee=D("0.01"),
        fee_currency="USDT",
        liquidity=Liquidity.TAKER,
        ts=T0 + timedelta(seconds=1),
    )


def _record(
    env: Env,
    order: ExecOrder,
    seen: BrokerOrder | None,
    trades: list[BrokerTrade] | None = None,
) -> ExecOrder | None:
    sync = OrderSync(env.journal, env.clock, "test")
    with session_scope(env.engine) as session:
        return sync.record(session, order, seen, trades or [], reason="test")


def _payloads(env: Env, kind: JournalKind) -> list[dict[str, Any]]:
    return [dict(e.payload) for e in env.journal.read() if e.kind is kind]


def _position_quantity(env: Env) -> Decimal:
    positions = [p for p in env.service.positions("paper") if p.symbol == SYMBOL]
    return positions[0].quantity if positions else D(0)


@pytest.mark.parametrize(
    ("status", "filled", "expected"),
    [
        ("open", "0", S.ACKNOWLEDGED),
        ("open", "0.4", S.PARTIALLY_FILLED),
        ("open", "1", S.FILLED),
        ("closed", "1", S.FILLED),
        ("closed", "0.4", S.CANCELLED),
        ("canceled", "1", S.FILLED),
        ("cancelled", "0.4", S.CANCELLED),
        ("expired", "0", S.EXPIRED),
        ("expired", "1", S.FILLED),
        ("rejected", "0", S.REJECTED),
    ],
)
def test_venue_state_maps_ccxt_status_and_filled_quantity(
    status: str, filled: str, expected: OrderState
) -> None:
    assert venue_state(status, D(filled), D(1)) is expected


def test_venue_state_refuses_an_unknown_status_naming_the_expected_ones() -> None:
    with pytest.raises(ValueError, match=r"expected open, closed, .* \(got 'pending'\)"):
        venue_state("pending", D(0), D(1))


def test_transition_path_is_the_shortest_legal_route_or_none() -> None:
    assert transition_path(S.NEW, S.NEW) == []
    assert transition_path(S.NEW, S.FILLED) == [S.SUBMITTING, S.FILLED]
    assert transition_path(S.UNKNOWN, S.REJECTED) == [S.REJECTED]
    assert transition_path(S.FILLED, S.CANCELLED) is None
    assert transition_path(S.ACKNOWLEDGED, S.REJECTED) is None


def test_sync_refuses_fill_beyond_order_quantity(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    order = env.stored()  # quantity 0.5
    first = _trade(order, "t1", "0.3", "100")
    beyond = _trade(order, "t2", "0.3", "101")

    _record(env, order, None, [first, beyond])

    fills = _payloads(env, JournalKind.FILL)
    assert [f["venue_trade_id"] for f in fills] == ["t1"]
    (refused,) = [
        p for p in _payloads(env, JournalKind.RECONCILIATION) if p["event"] == "fill_refused"
    ]
    assert refused["venue_trade_id"] == "t2"
    assert "fills would reach 0.6, above the order quantity 0.5" in refused["reason"]
    assert _position_quantity(env) == D("0.3")


def test_sync_stores_a_venue_trade_once_however_often_it_is_reported(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    order = env.stored()
    trade = _trade(order, "t1", "0.2", "100")

    _record(env, order, None, [trade])
    _record(env, order, None, [trade])

    assert [f["venue_trade_id"] for f in _payloads(env, JournalKind.FILL)] == ["t1"]
    assert _position_quantity(env) == D("0.2")


def test_sync_ignores_trades_of_other_orders(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    order = env.stored()
    other = _trade(order, "t9", "0.2", "100", client_order_id="someone-else", venue_order_id="v-9")

    _record(env, order, None, [other])

    assert _payloads(env, JournalKind.FILL) == []
    assert _position_quantity(env) == 0


def test_sync_matches_a_trade_without_client_id_by_venue_order_id(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    order = env.stored()
    acked = _record(env, order, _seen(order, "open", "0", venue_order_id="v-7"))
    assert acked is not None
    assert acked.venue_order_id == "v-7"

    _record(
        env,
        acked,
        None,
        [_trade(order, "t1", "0.5", "100", client_order_id=None, venue_order_id="v-7")],
    )

    assert [f["venue_trade_id"] for f in _payloads(env, JournalKind.FILL)] == ["t1"]


def test_sync_fully_filled_reply_moves_a_new_order_to_filled_along_a_legal_path(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path)
    order = env.stored()

    updated = _record(
        env,
        order,
        _seen(order, "closed", "0.5", average_price=D("100.5")),
        [_trade(order, "t1", "0.5", "100.5")],
    )

    assert updated is not None
    assert updated.state is S.FILLED
    assert (updated.filled_quantity, updated.average_price) == (D("0.5"), D("100.5"))
    assert updated.fees == D("0.01")
    (change,) = [p for p in _payloads(env, JournalKind.ORDER_UPDATE) if p.get("reason") == "test"]
    assert change["previous_state"] == "new"
    assert change["path"] == ["submitting", "filled"]


def test_sync_average_price_comes_from_stored_fills_when_the_venue_gives_none(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path)
    order = env.stored()

    updated = _record(
        env,
        order,
        _seen(order, "closed", "0.5"),
        [_trade(order, "t1", "0.2", "100"), _trade(order, "t2", "0.3", "110")],
    )

    assert updated is not None
    assert updated.average_price == D(106)  # (0.2 × 100 + 0.3 × 110) / 0.5


def test_sync_partial_fill_without_trades_takes_the_limit_price_as_average(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path)
    order = env.stored()

    updated = _record(env, order, _seen(order, "open", "0.2", price=D(99)))

    assert updated is not None
    assert updated.state is S.PARTIALLY_FILLED
    assert (updated.filled_quantity, updated.average_price) == (D("0.2"), D(99))


def test_sync_does_not_call_an_order_partially_filled_before_a_fill_price_is_known(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path)
    order = env.stored()

    unpriced = _record(env, order, _seen(order, "open", "0.2"))  # no average, no price

    assert unpriced is not None
    assert unpriced.state is not S.PARTIALLY_FILLED
    assert unpriced.filled_quantity == 0
    priced = _record(env, unpriced, _seen(order, "open", "0.2", average_price=D(100)))
    assert priced is not None
    assert priced.state is S.PARTIALLY_FILLED
    assert (priced.filled_quantity, priced.average_price) == (D("0.2"), D(100))


def test_sync_never_moves_an_order_back_nor_lowers_its_filled_quantity(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    order = env.stored()
    partial = _record(env, order, _seen(order, "open", "0.2", average_price=D(100)))
    assert partial is not None

    stale = _record(env, partial, _seen(order, "open", "0"))

    assert stale is not None
    assert stale.state is S.PARTIALLY_FILLED
    assert stale.filled_quantity == D("0.2")


def test_sync_caps_the_venue_filled_quantity_at_the_order_quantity(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    order = env.stored()

    updated = _record(env, order, _seen(order, "closed", "0.9", average_price=D(100)))

    assert updated is not None
    assert updated.state is S.FILLED
    assert updated.filled_quantity == D("0.5")


def test_sync_leaves_a_terminal_order_as_it_is(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    order = env.stored()
    filled = _record(env, order, _seen(order, "closed", "0.5", average_price=D(100)))
    assert filled is not None
    updates = len(_payloads(env, JournalKind.ORDER_UPDATE))

    after = _record(env, filled, _seen(order, "canceled", "0.5", average_price=D(100)))

    assert after is filled
    assert len(_payloads(env, JournalKind.ORDER_UPDATE)) == updates


def test_sync_has_no_legal_edge_from_acknowledged_to_rejected_and_keeps_the_order(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path)
    order = env.stored()
    acked = _record(env, order, _seen(order, "open", "0"))
    assert acked is not None
    assert acked.state is S.ACKNOWLEDGED

    after = _record(env, acked, _seen(order, "rejected", "0"))

    assert after is acked


def test_sync_returns_none_when_another_writer_changed_the_order_first(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    order = env.stored()
    assert _record(env, order, _seen(order, "open", "0")) is not None

    lost = _record(env, order, _seen(order, "open", "0.2", average_price=D(100)))

    assert lost is None
