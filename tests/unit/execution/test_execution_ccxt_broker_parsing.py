"""CcxtBroker's own decisions around ccxt's unified API, on an exchange object that records
calls: stop orders only where the venue has them, reduce-only only on contracts, positions
only from derivatives accounts, and ccxt's loose structures parsed into ours."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from tests.unit.execution.execution_kit import T0

from quorum.clock import ReplayClock
from quorum.domain import Liquidity, OrderType, Side
from quorum.errors import BrokerError
from quorum.execution import OrderRejected, PositionsNotReported
from quorum.execution.ccxt_broker import CcxtBroker
from quorum.ports import OrderRequest

D = Decimal
SYMBOL = "BTC/USDT:USDT"


@dataclass
class RecordingExchange:
    """The part of a ccxt exchange CcxtBroker uses; answers are set by each test."""

    has: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    contract: bool = False
    created: list[tuple[Any, ...]] = field(default_factory=list)
    order_reply: dict[str, Any] = field(default_factory=dict)
    positions: list[dict[str, Any]] = field(default_factory=list)
    balance: dict[str, Any] = field(default_factory=dict)
    trades: list[dict[str, Any]] = field(default_factory=list)
    last_response_headers: Any = None

    def load_markets(self) -> dict[str, Any]:
        return {}

    def market(self, symbol: str) -> dict[str, Any]:
        return {"symbol": symbol, "contract": self.contract}

    def amount_to_precision(self, symbol: str, amount: str) -> str:
        return str(D(amount).quantize(D("0.001")))

    def price_to_precision(self, symbol: str, price: str) -> str:
        return str(D(price).quantize(D("0.1")))

    def create_order(self, *args: Any) -> dict[str, Any]:
        self.created.append(args)
        return self.order_reply

    def fetch_positions(self) -> list[dict[str, Any]]:
        return self.positions

    def fetch_balance(self) -> dict[str, Any]:
        return self.balance

    def fetch_my_trades(
        self, symbol: str, since: int | None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        found = [t for t in self.trades if since is None or t["timestamp"] >= since]
        return found[:limit]


def _broker(exchange: RecordingExchange) -> CcxtBroker:
    return CcxtBroker("binanceusdm", ReplayClock(T0), exchange=exchange, recv_window_s=2.5)


def _stop(reduce_only: bool = False) -> OrderRequest:
    return OrderRequest(
        client_order_id="stop-1",
        symbol=SYMBOL,
        side=Side.SELL,
        order_type=OrderType.STOP,
        quantity=D("0.12345"),
        stop_price=D("94.26"),
        reduce_only=reduce_only,
        sent_at=T0,
    )


def test_ccxt_broker_refuses_an_exchange_id_ccxt_does_not_know() -> None:
    with pytest.raises(BrokerError, match="'no_such_venue': not a ccxt exchange id"):
        CcxtBroker("no_such_venue", ReplayClock(T0))


def test_ccxt_broker_sets_the_recv_window_in_milliseconds_on_the_exchange() -> None:
    exchange = RecordingExchange()

    broker = _broker(exchange)

    assert exchange.options["recvWindow"] == 2500
    assert (broker.name, broker.recv_window_s) == ("live", 2.5)


def test_stop_order_on_a_venue_without_stop_orders_is_rejected_before_sending() -> None:
    exchange = RecordingExchange(has={"createStopOrder": False})

    with pytest.raises(OrderRejected, match="no stop orders; expected the monitor"):
        _broker(exchange).submit(_stop())

    assert exchange.created == []


def test_stop_order_sends_trigger_price_at_venue_precision_and_reduce_only_on_contracts() -> None:
    exchange = RecordingExchange(has={"createStopOrder": True}, contract=True)
    exchange.order_reply = {"id": "77", "status": "triggered", "side": "sell"}

    order = _broker(exchange).submit(_stop(reduce_only=True))

    ((symbol, kind, side, amount, price, params),) = exchange.created
    assert (symbol, kind, side, amount, price) == (SYMBOL, "market", "sell", "0.123", None)
    assert params == {
        "clientOrderId": "stop-1",
        "triggerPrice": "94.3",
        "reduceOnly": True,
        "timestamp": int(T0.timestamp() * 1000),  # signed with our sent_at (binance family)
    }
    assert order.status == "open"  # a status outside ccxt's five is an open order
    assert order.order_type is OrderType.STOP
    assert (order.quantity, order.filled, order.client_order_id) == (D("0.12345"), 0, "stop-1")
    assert order.updated_at == T0


def test_reduce_only_is_not_sent_to_a_spot_market() -> None:
    exchange = RecordingExchange(has={"createStopOrder": True}, contract=False)
    exchange.order_reply = {"id": "78", "status": "open"}

    _broker(exchange).submit(_stop(reduce_only=True))

    assert "reduceOnly" not in exchange.created[0][-1]


def test_positions_are_not_reported_by_a_spot_account() -> None:
    exchange = RecordingExchange(has={"fetchPositions": True}, options={"defaultType": "spot"})

    with pytest.raises(PositionsNotReported, match="holds balances, not positions"):
        _broker(exchange).fetch_positions()


def test_derivative_positions_are_signed_by_side_and_empty_ones_dropped() -> None:
    exchange = RecordingExchange(has={"fetchPositions": True}, options={"defaultType": "swap"})
    exchange.positions = [
        {"symbol": "BTC/USDT:USDT", "contracts": 2, "side": "short", "entryPrice": 100.5},
        {"symbol": "ETH/USDT:USDT", "contracts": "1.5", "side": "long", "entryPrice": None},
        {"symbol": "SOL/USDT:USDT", "contracts": 0, "side": "long", "entryPrice": 20},
    ]

    positions = _broker(exchange).fetch_positions()

    assert [(p.symbol, p.quantity, p.average_entry) for p in positions] == [
        ("BTC/USDT:USDT", D(-2), D("100.5")),
        ("ETH/USDT:USDT", D("1.5"), None),
    ]


def test_balance_keeps_only_assets_with_a_non_zero_total() -> None:
    exchange = RecordingExchange()
    exchange.balance = {"total": {"USDT": 1000.25, "BTC": 0, "ETH": None, "BNB": "0.5"}}

    assert _broker(exchange).fetch_balance() == {"USDT": D("1000.25"), "BNB": D("0.5")}


def test_a_maker_trade_without_client_id_parses_with_venue_time_and_fee() -> None:
    exchange = RecordingExchange()
    exchange.trades = [
        {
            "id": "t-1",
            "order": "77",
            "info": {},
            "symbol": SYMBOL,
            "side": "buy",
            "amount": 0.5,
            "price": "101.5",
            "fee": {"cost": 0.01, "currency": "USDT"},
            "takerOrMaker": "maker",
            "timestamp": int(T0.timestamp() * 1000) + 1500,
        }
    ]
    broker = _broker(exchange)

    (trade,) = broker.fetch_my_trades(SYMBOL, since=T0)

    assert (trade.venue_trade_id, trade.venue_order_id, trade.client_order_id) == (
        "t-1",
        "77",
        None,
    )
    assert (trade.quantity, trade.price, trade.fee) == (D("0.5"), D("101.5"), D("0.01"))
    assert trade.liquidity is Liquidity.MAKER
    assert (trade.ts - T0).total_seconds() == 1.5
    assert broker.fetch_my_trades(SYMBOL, since=T0 + timedelta(seconds=2)) == []
