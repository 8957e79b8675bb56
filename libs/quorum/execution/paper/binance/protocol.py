"""Binance spot REST, the wire side: signatures, timestamps, filters, JSON shapes, errors.

Pure functions and small value types, no I/O; :mod:`.server` puts them on HTTP. The shapes
follow Binance's spot API documentation (``/api/v3``) and what ccxt's ``binance`` class
parses (``parse_market``, ``parse_order``, ``parse_trade``, ``parse_balance``,
``parse_ohlcv``, ``handle_errors``):

- **Signed endpoints**: the query string (GET/DELETE) or the form body (POST), less
  ``signature``, is HMAC-SHA256'd with the secret; the hex digest must equal
  ``signature`` (else ``-1022``). ``timestamp`` (ms) must be no more than 1,000 ms ahead of
  the server and no more than ``recvWindow`` (default 5,000 ms, at most 60,000) behind it
  (else ``-1021``). A wrong ``X-MBX-APIKEY`` is ``-2015``.
- **Filters** (``exchangeInfo``): ``PRICE_FILTER`` (tick), ``LOT_SIZE`` (step, min, max),
  ``NOTIONAL`` (min notional, applied to market orders at the last price). A breach is
  ``-1013 Filter failure: <FILTER>`` (ccxt reads the filter name as ``InvalidOrder``).
- **Errors**: ``{"code": -NNNN, "msg": "…"}`` with Binance's codes and messages.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from quorum.domain import OrderType, Side
from quorum.ports import BrokerOrder, BrokerTrade

DEFAULT_RECV_WINDOW_MS = 5_000
MAX_RECV_WINDOW_MS = 60_000
AHEAD_TOLERANCE_MS = 1_000
"""Binance accepts a timestamp at most 1 s ahead of its clock."""

ORDER_TYPES = ("LIMIT", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
"""What ``exchangeInfo`` lists per symbol (ccxt refuses a type a symbol does not list)."""

_STATUS = {
    "open": "NEW",
    "closed": "FILLED",
    "canceled": "CANCELED",
    "expired": "EXPIRED",
    "rejected": "REJECTED",
}


class BinanceError(Exception):
    """An error reply: HTTP status, Binance code and message (``{"code", "msg"}``)."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(f"{status} {code} {msg}")
        self.status, self.code, self.msg = status, code, msg

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "msg": self.msg}


def bad_param(name: str, detail: str = "") -> BinanceError:
    """``-1102``: a mandatory parameter was missing, empty or malformed."""
    msg = f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    return BinanceError(400, -1102, msg + (f" {detail}" if detail else ""))


def sign(payload: str, secret: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def verify_signature(payload: str, secret: str) -> None:
    """``payload`` is the signed query or body as received; its ``signature`` parameter
    must be the HMAC-SHA256 of everything before it."""
    head, sep, signature = payload.rpartition("&signature=")
    if not sep or not signature or "&" in signature:
        raise bad_param("signature")
    if not hmac.compare_digest(sign(head, secret), signature):
        raise BinanceError(400, -1022, "Signature for this request is not valid.")


def check_timestamp(params: dict[str, str], server_ms: int) -> int:
    """Binance's rule; returns the request's ``timestamp``."""
    raw = params.get("timestamp")
    if raw is None or not raw.isdigit():
        raise bad_param("timestamp")
    window_raw = params.get("recvWindow", str(DEFAULT_RECV_WINDOW_MS))
    if not window_raw.isdigit() or int(window_raw) > MAX_RECV_WINDOW_MS:
        raise BinanceError(400, -1131, "recvWindow must be less than 60000")
    timestamp, window = int(raw), int(window_raw)
    if timestamp >= server_ms + AHEAD_TOLERANCE_MS:
        raise BinanceError(
            400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."
        )
    if server_ms - timestamp > window:
        raise BinanceError(400, -1021, "Timestamp for this request is outside of the recvWindow.")
    return timestamp


def ms(ts: datetime) -> int:
    return int(ts.timestamp() * 1000)


def from_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=UTC)


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """One spot symbol's trading rules (the ``exchangeInfo`` filters)."""

    symbol: str
    """Unified, ``BASE/QUOTE``."""
    tick_size: Decimal = Decimal("0.01")
    step_size: Decimal = Decimal("0.00001")
    min_qty: Decimal = Decimal("0.00001")
    max_qty: Decimal = Decimal("9000")
    min_notional: Decimal = Decimal("5")

    @property
    def base(self) -> str:
        return self.symbol.split("/")[0]

    @property
    def quote(self) -> str:
        return self.symbol.split("/")[1]

    @property
    def market_id(self) -> str:
        return self.base + self.quote

    def info(self) -> dict[str, Any]:
        return {
            "symbol": self.market_id,
            "status": "TRADING",
            "baseAsset": self.base,
            "baseAssetPrecision": 8,
            "quoteAsset": self.quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "orderTypes": list(ORDER_TYPES),
            "icebergAllowed": False,
            "ocoAllowed": False,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "permissions": ["SPOT"],
            "permissionSets": [["SPOT"]],
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": str(self.tick_size),
                    "maxPrice": "1000000.00000000",
                    "tickSize": str(self.tick_size),
                },
                {
                    "filterType": "LOT_SIZE",
                    "minQty": str(self.min_qty),
                    "maxQty": str(self.max_qty),
                    "stepSize": str(self.step_size),
                },
                {
                    "filterType": "NOTIONAL",
                    "minNotional": str(self.min_notional),
                    "applyMinToMarket": True,
                    "maxNotional": "9000000.00000000",
                    "applyMaxToMarket": False,
                    "avgPriceMins": 5,
                },
            ],
        }

    def check(self, quantity: Decimal, price: Decimal | None, reference: Decimal) -> None:
        """The filters, in Binance's order: price, lot size, notional."""
        if price is not None and (price <= 0 or price % self.tick_size != 0):
            raise BinanceError(400, -1013, "Filter failure: PRICE_FILTER")
        if not self.min_qty <= quantity <= self.max_qty or quantity % self.step_size != 0:
            raise BinanceError(400, -1013, "Filter failure: LOT_SIZE")
        if quantity * (price if price is not None else reference) < self.min_notional:
            raise BinanceError(400, -1013, "Filter failure: NOTIONAL")


def exchange_info(specs: list[MarketSpec], server_ms: int) -> dict[str, Any]:
    return {
        "timezone": "UTC",
        "serverTime": server_ms,
        "rateLimits": [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": 6000,
            }
        ],
        "exchangeFilters": [],
        "symbols": [spec.info() for spec in specs],
    }


@dataclass(frozen=True, slots=True)
class NewOrder:
    """A parsed ``POST /api/v3/order``: Binance's type mapped onto the matching engine."""

    client_order_id: str
    symbol: str
    side: Side
    binance_type: str
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    time_in_force: str | None


def _decimal(params: dict[str, str], name: str) -> Decimal | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(raw)
    except ArithmeticError as exc:
        raise BinanceError(400, -1100, f"Illegal characters found in parameter '{name}'.") from exc
    if not value.is_finite():
        raise BinanceError(400, -1100, f"Illegal characters found in parameter '{name}'.")
    return value


def parse_new_order(params: dict[str, str], symbol: str, new_id: str) -> NewOrder:
    """Binance's order types in terms of the paper engine: ``MARKET``; ``LIMIT`` (GTC);
    ``STOP_LOSS`` (a stop-market: triggers at ``stopPrice``); ``TAKE_PROFIT_LIMIT`` and
    ``STOP_LOSS_LIMIT`` only with ``price == stopPrice`` (then they are a resting limit and a
    stop at that level); other combinations are refused (``-2010``), never approximated."""
    side_raw = params.get("side", "")
    if side_raw not in ("BUY", "SELL"):
        raise bad_param("side")
    kind = params.get("type", "")
    if kind not in ORDER_TYPES:
        raise BinanceError(400, -1116, "Invalid orderType.")
    quantity = _decimal(params, "quantity")
    if quantity is None:
        raise bad_param("quantity")
    price, stop = _decimal(params, "price"), _decimal(params, "stopPrice")
    tif = params.get("timeInForce")
    needs_price = kind in ("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
    if needs_price and price is None:
        raise bad_param("price")
    if needs_price and tif not in ("GTC", "IOC", "FOK"):
        raise bad_param("timeInForce")
    if kind in ("STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT") and stop is None:
        raise bad_param("stopPrice")
    if tif in ("IOC", "FOK"):
        raise BinanceError(400, -2010, f"timeInForce {tif} is not supported by this simulator.")
    if kind.endswith("_LIMIT") and price != stop:
        raise BinanceError(
            400, -2010, f"{kind} with price != stopPrice is not supported by this simulator."
        )
    order_type = {
        "MARKET": OrderType.MARKET,
        "LIMIT": OrderType.LIMIT,
        "STOP_LOSS": OrderType.STOP,
        "STOP_LOSS_LIMIT": OrderType.STOP,
        "TAKE_PROFIT_LIMIT": OrderType.LIMIT,
    }[kind]
    return NewOrder(
        client_order_id=params.get("newClientOrderId") or new_id,
        symbol=symbol,
        side=Side.BUY if side_raw == "BUY" else Side.SELL,
        binance_type=kind,
        order_type=order_type,
        quantity=quantity,
        price=price if order_type is OrderType.LIMIT else None,
        stop_price=stop if order_type is OrderType.STOP else None,
        time_in_force=tif if needs_price else None,
    )


def order_id(venue_order_id: str) -> int:
    """The paper engine's ``P<n>`` as Binance's integer ``orderId``."""
    return int(venue_order_id.lstrip("P"))


def order_json(
    order: BrokerOrder,
    market_id: str,
    meta: NewOrder,
    created: datetime,
    trades: list[BrokerTrade] | None = None,
) -> dict[str, Any]:
    """An order as ``GET /api/v3/order`` (and, with ``trades``, ``newOrderRespType=FULL``)."""
    status = _STATUS.get(order.status, "NEW")
    if status == "NEW" and order.filled > 0:
        status = "PARTIALLY_FILLED"
    cost = (order.average_price or Decimal(0)) * order.filled
    body: dict[str, Any] = {
        "symbol": market_id,
        "orderId": order_id(order.venue_order_id),
        "orderListId": -1,
        "clientOrderId": order.client_order_id,
        "price": str(meta.price if meta.price is not None else (meta.stop_price or 0)),
        "origQty": str(order.quantity),
        "executedQty": str(order.filled),
        "cummulativeQuoteQty": str(cost),
        "status": status,
        "timeInForce": meta.time_in_force or "GTC",
        "type": meta.binance_type,
        "side": meta.side.value.upper(),
        "stopPrice": str(meta.stop_price or 0),
        "icebergQty": "0",
        "time": ms(created),
        "transactTime": ms(created),
        "updateTime": ms(order.updated_at),
        "workingTime": ms(created),
        "isWorking": meta.binance_type in ("MARKET", "LIMIT") or status != "NEW",
        "origQuoteOrderQty": "0",
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }
    if trades is not None:
        body["fills"] = [
            {
                "price": str(t.price),
                "qty": str(t.quantity),
                "commission": str(t.fee),
                "commissionAsset": t.fee_currency,
                "tradeId": int(t.venue_trade_id.lstrip("T")),
            }
            for t in trades
        ]
    return body


def trade_json(trade: BrokerTrade, market_id: str) -> dict[str, Any]:
    """One execution as ``GET /api/v3/myTrades``."""
    return {
        "symbol": market_id,
        "id": int(trade.venue_trade_id.lstrip("T")),
        "orderId": order_id(trade.venue_order_id),
        "orderListId": -1,
        "price": str(trade.price),
        "qty": str(trade.quantity),
        "quoteQty": str(trade.price * trade.quantity),
        "commission": str(trade.fee),
        "commissionAsset": trade.fee_currency,
        "time": ms(trade.ts),
        "isBuyer": trade.side is Side.BUY,
        "isMaker": trade.liquidity.value == "maker",
        "isBestMatch": True,
    }
