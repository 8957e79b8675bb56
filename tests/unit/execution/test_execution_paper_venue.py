"""The paper matching engine: fills, fees, slippage, stops, bars, and client-id dedupe the
way real venues do it (unique among open orders only)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.unit.execution.execution_kit import T0

from quorum.clock import ReplayClock
from quorum.domain import Liquidity, OrderType, Side
from quorum.execution import (
    DuplicateClientOrderId,
    OrderNotFound,
    OrderRejected,
    PaperSettings,
    PaperVenue,
)
from quorum.ports import OrderRequest

D = Decimal


def _venue(**settings: object) -> PaperVenue:
    venue = PaperVenue(ReplayClock(T0), PaperSettings(**settings))  # type: ignore[arg-type]
    venue.set_quote("BTC/USDT", D(99), D(101), D(100))
    return venue


def _req(
    cid: str, side: Side = Side.BUY, kind: OrderType = OrderType.MARKET, **kw: object
) -> OrderRequest:
    return OrderRequest(
        client_order_id=cid,
        symbol=str(kw.pop("symbol", "BTC/USDT")),
        side=side,
        order_type=kind,
        quantity=D(str(kw.pop("quantity", "1"))),
        sent_at=T0,
        **kw,  # type: ignore[arg-type]
    )


def test_a_market_buy_takes_the_ask_plus_slippage_and_pays_the_taker_fee() -> None:
    venue = _venue(slippage=D("0.01"), taker_fee=D("0.002"))
    order = venue.submit(_req("c1"))
    trade = venue.trades()[0]

    assert order.status == "closed"
    assert order.filled == D(1)
    assert trade.price == D("102.01")
    assert trade.fee == D("0.20402")
    assert trade.liquidity is Liquidity.TAKER
    assert venue.positions()[0].quantity == D(1)
    assert venue.balances()["USDT"] == D(10**7) - D("102.01") - D("0.20402")


def test_a_resting_limit_fills_as_maker_at_its_price_when_the_market_trades_through() -> None:
    venue = _venue(maker_fee=D("0.0005"))
    venue.submit(_req("c1", kind=OrderType.LIMIT, price=D(95)))
    assert venue.open_orders()[0].status == "open"

    venue.on_bar("BTC/USDT", D(97), D(98), D(94), D(96))

    trade = venue.trades()[0]
    assert trade.price == D(95)
    assert trade.liquidity is Liquidity.MAKER
    assert venue.open_orders() == []


def test_a_sell_stop_triggers_on_the_low_and_fills_as_a_market_order() -> None:
    venue = _venue()
    venue.submit(_req("s1", Side.SELL, OrderType.STOP, stop_price=D(90)))
    venue.set_quote("BTC/USDT", D(91), D(92), D(91))
    assert venue.trades() == []

    venue.set_quote("BTC/USDT", D(89), D(90), D(89.5))

    assert venue.trades()[0].side is Side.SELL
    assert venue.fetch_by_client_id("s1").status == "closed"


def test_a_client_id_is_unique_among_open_orders_but_reusable_once_closed() -> None:
    venue = _venue()
    venue.submit(_req("L1", kind=OrderType.LIMIT, price=D(90)))
    with pytest.raises(DuplicateClientOrderId):
        venue.submit(_req("L1", kind=OrderType.LIMIT, price=D(90)))
    venue.submit(_req("M1"))

    venue.submit(_req("M1"))  # closed ids may be used again: only our lookup prevents this

    assert venue.stats.accepted["M1"] == 2
    assert venue.stats.duplicates_refused == 1


def test_unknown_symbols_oversize_and_off_step_quantities_are_rejected() -> None:
    venue = _venue(max_quantity=D(5), amount_step=D("0.1"))
    for request in (
        _req("a", symbol="ETH/USDT"),
        _req("b", quantity="6"),
        _req("c", quantity="0.15"),
    ):
        with pytest.raises(OrderRejected):
            venue.submit(request)
    assert venue.stats.accepted == {}


def test_cancel_and_lookup_of_an_unknown_client_id_say_not_found() -> None:
    venue = _venue()
    with pytest.raises(OrderNotFound):
        venue.fetch_by_client_id("nope")
    with pytest.raises(OrderNotFound):
        venue.cancel("nope")
