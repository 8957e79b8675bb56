"""JSON shapes of the paper exchange's HTTP API (Decimals as strings, times as ISO UTC)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from quorum.domain import Liquidity, OrderType, Side, format_time, parse_time
from quorum.execution.records import dec, text
from quorum.ports import BrokerOrder, BrokerPosition, BrokerTrade, OrderRequest


def _required(data: dict[str, Any], key: str) -> Decimal:
    value = dec(data.get(key))
    if value is None:
        raise ValueError(f"{key}: required decimal field is missing")
    return value


def request_to_json(request: OrderRequest) -> dict[str, Any]:
    return {
        "client_order_id": request.client_order_id,
        "symbol": request.symbol,
        "side": request.side.value,
        "order_type": request.order_type.value,
        "quantity": str(request.quantity),
        "price": text(request.price),
        "stop_price": text(request.stop_price),
        "reduce_only": request.reduce_only,
        "sent_at": format_time(request.sent_at),
    }


def request_from_json(data: dict[str, Any]) -> OrderRequest:
    quantity = _required(data, "quantity")
    return OrderRequest(
        client_order_id=str(data["client_order_id"]),
        symbol=str(data["symbol"]),
        side=Side(data["side"]),
        order_type=OrderType(data["order_type"]),
        quantity=quantity,
        price=dec(data.get("price")),
        stop_price=dec(data.get("stop_price")),
        reduce_only=bool(data.get("reduce_only", False)),
        sent_at=parse_time(data["sent_at"]),
    )


def order_to_json(order: BrokerOrder) -> dict[str, Any]:
    return {
        "client_order_id": order.client_order_id,
        "venue_order_id": order.venue_order_id,
        "symbol": order.symbol,
        "side": order.side.value,
        "order_type": order.order_type.value,
        "status": order.status,
        "quantity": str(order.quantity),
        "filled": str(order.filled),
        "average_price": text(order.average_price),
        "price": text(order.price),
        "updated_at": format_time(order.updated_at),
    }


def order_from_json(data: dict[str, Any]) -> BrokerOrder:
    quantity, filled = _required(data, "quantity"), _required(data, "filled")
    return BrokerOrder(
        client_order_id=str(data["client_order_id"]),
        venue_order_id=str(data["venue_order_id"]),
        symbol=str(data["symbol"]),
        side=Side(data["side"]),
        order_type=OrderType(data["order_type"]),
        status=str(data["status"]),
        quantity=quantity,
        filled=filled,
        average_price=dec(data.get("average_price")),
        price=dec(data.get("price")),
        updated_at=parse_time(data["updated_at"]),
    )


def trade_to_json(trade: BrokerTrade) -> dict[str, Any]:
    return {
        "venue_trade_id": trade.venue_trade_id,
        "venue_order_id": trade.venue_order_id,
        "client_order_id": trade.client_order_id,
        "symbol": trade.symbol,
        "side": trade.side.value,
        "quantity": str(trade.quantity),
        "price": str(trade.price),
        "fee": str(trade.fee),
        "fee_currency": trade.fee_currency,
        "liquidity": trade.liquidity.value,
        "ts": format_time(trade.ts),
    }


def trade_from_json(data: dict[str, Any]) -> BrokerTrade:
    quantity, price = _required(data, "quantity"), _required(data, "price")
    fee = _required(data, "fee")
    return BrokerTrade(
        venue_trade_id=str(data["venue_trade_id"]),
        venue_order_id=str(data["venue_order_id"]),
        client_order_id=data.get("client_order_id"),
        symbol=str(data["symbol"]),
        side=Side(data["side"]),
        quantity=quantity,
        price=price,
        fee=fee,
        fee_currency=str(data["fee_currency"]),
        liquidity=Liquidity(data["liquidity"]),
        ts=parse_time(data["ts"]),
    )


def position_to_json(position: BrokerPosition) -> dict[str, Any]:
    return {
        "symbol": position.symbol,
        "quantity": str(position.quantity),
        "average_entry": text(position.average_entry),
    }


def position_from_json(data: dict[str, Any]) -> BrokerPosition:
    quantity = _required(data, "quantity")
    return BrokerPosition(
        symbol=str(data["symbol"]),
        quantity=quantity,
        average_entry=dec(data.get("average_entry")),
    )
