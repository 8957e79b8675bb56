"""A local exchange that speaks Binance spot's REST API, backed by the paper matching engine.

``BinanceSimulator(venue, markets, api_key=…, secret=…).start()`` serves on 127.0.0.1
(``.url``); point ccxt's ``binance`` class at it with :func:`ccxt_urls`. Fills, fees,
partial fills, stop triggers, reduce-only, the receive window and lookup lag are the paper
engine's (:class:`~quorum.execution.paper.PaperVenue`), so paper mode and this path trade
alike. What ccxt's ``binance`` uses for Quorum (see ``protocol`` for the rules):

=============================================  =============================================
``GET /api/v3/ping`` ``/time`` ``/exchangeInfo``  public
``GET /api/v3/klines`` ``/ticker/bookTicker``   public (klines from the ``klines`` source)
``POST /api/v3/order``                         signed; ``newClientOrderId``; ``-2010``
                                               ``Duplicate order sent.`` for a client id an
                                               open order holds
``GET /api/v3/order``                          signed; ``origClientOrderId`` or ``orderId``;
                                               ``-2013 Order does not exist.``
``DELETE /api/v3/order``                       signed; ``-2011 Unknown order sent.``
``GET /api/v3/openOrders`` ``/myTrades``       signed
``GET /api/v3/account``                        signed; balances, ``canTrade``
=============================================  =============================================

Every reply carries ``X-MBX-USED-WEIGHT-1M``; past ``weight_limit`` in a minute the reply
is ``429`` ``-1003`` with ``Retry-After``, and a client that keeps calling through
``ban_after`` 429s gets ``418`` (Binance's IP ban). Faults (:class:`Faults`): an outage
answers ``503`` before anything is processed; an ambiguous reply to an accepted order is
a hang past the client's timeout, a ``502`` page or a TCP reset. Admin (unsigned, for tests
and the CLI): ``POST /admin/quote`` ``{symbol, bid, ask, last?}``, ``POST /admin/bar``
``{symbol, ts, open, high, low, close}``, ``POST /admin/outage`` ``{down}``,
``POST /admin/faults`` (a ``FaultSettings``), ``POST /admin/auth`` ``{failed}`` (the key
is refused: ``-2015``), ``POST /admin/settings`` (``PaperSettings``
fields: lookup lag, partial fills…), ``GET /admin/stats``, ``GET /admin/positions``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

from quorum.clock import Clock
from quorum.domain import Bar, OrderType, parse_time
from quorum.execution.errors import DuplicateClientOrderId, OrderNotFound, OrderRejected
from quorum.execution.paper.binance.protocol import (
    BinanceError,
    MarketSpec,
    NewOrder,
    bad_param,
    check_timestamp,
    from_ms,
    ms,
    order_id,
    order_json,
    parse_new_order,
    trade_json,
    verify_signature,
)
from quorum.execution.paper.faults import Faults, FaultSettings
from quorum.execution.paper.loopback import LoopbackServer
from quorum.execution.paper.matching import PaperSettings, PaperVenue
from quorum.ports import BrokerOrder, OrderRequest

KlineSource = Callable[[str, str, datetime, datetime], list[Bar]]
"""``(unified symbol, interval, start, end) -> bars`` whose open time is in ``[start, end)``."""

WEIGHTS = {"order": 1, "openOrders": 6, "myTrades": 20, "account": 20, "exchangeInfo": 20}
INTERVAL_MS = {"1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000, "4h": 14_400_000}
INTERVAL_MS["1d"] = 86_400_000


SIM_API_KEY = "quorum-sim"  # pragma: allowlist secret
SIM_SECRET = "quorum-sim-secret"  # noqa: S105  # pragma: allowlist secret
"""The simulator's default credential: a local test key, never a venue's."""


def ccxt_urls(url: str) -> dict[str, Any]:
    """ccxt ``binance`` config pointing its spot endpoints at ``url`` (a simulator or a
    testnet such as ``https://testnet.binance.vision``)."""
    from quorum.ccxt_adapter.config import exchange_config

    return exchange_config("binance", url)


@dataclass
class _Weights:
    limit: int
    ban_after: int
    minute: int = -1
    used: int = 0
    refused: int = 0

    def spend(self, now_ms: int, weight: int) -> int:
        minute = now_ms // 60_000
        if minute != self.minute:
            self.minute, self.used, self.refused = minute, 0, 0
        self.used += weight
        return self.used


@dataclass
class SimulatorStats:
    requests: int = 0
    rate_limited: int = 0
    orders: dict[str, int] = field(default_factory=dict)
    """Accepted submits per client id (a value above 1 is a duplicate the venue took)."""


class BinanceSimulator(LoopbackServer):
    """The paper venue behind Binance spot's REST protocol on 127.0.0.1 (threaded)."""

    def __init__(
        self,
        venue: PaperVenue,
        markets: list[MarketSpec],
        *,
        clock: Clock,
        api_key: str,
        secret: str,
        klines: KlineSource | None = None,
        faults: Faults | None = None,
        weight_limit: int = 6000,
        ban_after: int = 5,
        port: int = 0,
        client_time: Callable[[int], None] | None = None,
    ) -> None:
        self.venue = venue
        self.client_time = client_time
        """Called with each signed request's ``timestamp`` before it is checked (a replayed
        market: :class:`~quorum.execution.paper.binance.replay.ClientTime`)."""
        self.clock: Clock = clock
        self.markets: dict[str, MarketSpec] = {spec.market_id: spec for spec in markets}
        self.api_key, self.secret = api_key, secret
        self.klines = klines
        self.faults = faults or Faults()
        self.stats = SimulatorStats()
        self._lock = threading.Lock()
        self._weights = _Weights(weight_limit, ban_after)
        self._meta: dict[str, tuple[NewOrder, datetime]] = {}
        super().__init__(_handler(self), port)

    # -- the API, as plain functions of (params) -> JSON ------------------------------------

    def market(self, params: dict[str, str]) -> MarketSpec:
        market_id = params.get("symbol")
        if not market_id:
            raise bad_param("symbol")
        spec = self.markets.get(market_id)
        if spec is None:
            raise BinanceError(400, -1121, "Invalid symbol.")
        return spec

    def charge(self, endpoint: str) -> int:
        """Spend the endpoint's request weight; refuse past the limit (429, then 418)."""
        now_ms = ms(self.clock.now())
        with self._lock:
            self.stats.requests += 1
            used = self._weights.spend(now_ms, WEIGHTS.get(endpoint, 1))
            if used <= self._weights.limit:
                return used
            self._weights.refused += 1
            self.stats.rate_limited += 1
            retry = max(1, (60_000 - now_ms % 60_000 + 999) // 1000)
            if self._weights.refused > self._weights.ban_after:
                error = BinanceError(418, -1003, "Way too many requests; IP banned.")
            else:
                error = BinanceError(
                    429,
                    -1003,
                    f"Too many requests; current limit of IP is {self._weights.limit} "
                    "requests per minute. Please use WebSocket Streams for live updates to "
                    "avoid polling the API.",
                )
            error.retry_after = retry  # type: ignore[attr-defined]
            raise error

    def used_weight(self) -> int:
        with self._lock:
            return self._weights.used

    def submit(self, params: dict[str, str]) -> tuple[dict[str, Any], str]:
        spec = self.market(params)
        with self._lock:
            fresh = f"sim-{len(self._meta) + 1}"
        new = parse_new_order(params, spec.symbol, fresh)
        quote = self.venue.quote(spec.symbol)
        if quote is None:
            raise BinanceError(400, -2010, "Market is closed.")
        spec.check(new.quantity, new.price or new.stop_price, quote.last)
        request = OrderRequest(
            client_order_id=new.client_order_id,
            symbol=spec.symbol,
            side=new.side,
            order_type=new.order_type,
            quantity=new.quantity,
            sent_at=from_ms(int(params["timestamp"])),
            price=new.price,
            stop_price=new.stop_price,
        )
        try:
            order = self.venue.submit(request)
        except DuplicateClientOrderId as exc:
            raise BinanceError(400, -2010, "Duplicate order sent.") from exc
        except OrderRejected as exc:
            raise BinanceError(400, -2010, str(exc)) from exc
        with self._lock:
            self._meta[order.venue_order_id] = (new, self.clock.now())
            self.stats.orders[new.client_order_id] = (
                self.stats.orders.get(new.client_order_id, 0) + 1
            )
        fills = [
            t for t in self.venue.trades(spec.symbol) if t.venue_order_id == order.venue_order_id
        ]
        return order_json(order, spec.market_id, new, self.clock.now(), fills), new.client_order_id

    def lookup(self, params: dict[str, str]) -> dict[str, Any]:
        spec = self.market(params)
        client_id = params.get("origClientOrderId")
        if client_id:
            try:
                order = self.venue.fetch_by_client_id(client_id)
            except OrderNotFound as exc:
                raise BinanceError(400, -2013, "Order does not exist.") from exc
        else:
            raw = params.get("orderId", "")
            if not raw.isdigit():
                raise bad_param("orderId")
            found = [o for o in self._views(spec) if order_id(o.venue_order_id) == int(raw)]
            if not found:
                raise BinanceError(400, -2013, "Order does not exist.")
            order = found[0]
        if order.symbol != spec.symbol:
            raise BinanceError(400, -2013, "Order does not exist.")
        new, created = self._meta_of(order)
        return order_json(order, spec.market_id, new, created)

    def _meta_of(self, order: BrokerOrder) -> tuple[NewOrder, datetime]:
        """How an order was placed; one placed on the engine directly (not through this
        API) is described from the engine's own view."""
        with self._lock:
            known = self._meta.get(order.venue_order_id)
        if known is not None:
            return known
        kind = {OrderType.MARKET: "MARKET", OrderType.LIMIT: "LIMIT"}.get(
            order.order_type, "STOP_LOSS"
        )
        new = NewOrder(
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            binance_type=kind,
            order_type=order.order_type,
            quantity=order.quantity,
            price=order.price,
            stop_price=None,
            time_in_force="GTC" if kind == "LIMIT" else None,
        )
        return new, order.updated_at

    def _views(self, spec: MarketSpec) -> list[Any]:
        out = []
        for venue_id in list(self._meta):
            new = self._meta[venue_id][0]
            if new.symbol != spec.symbol:
                continue
            try:  # the engine keeps the newest order per client id; older ones are gone
                order = self.venue.fetch_by_client_id(new.client_order_id)
            except OrderNotFound:
                continue
            if order.venue_order_id == venue_id:
                out.append(order)
        return out

    def cancel(self, params: dict[str, str]) -> dict[str, Any]:
        spec = self.market(params)
        client_id = params.get("origClientOrderId")
        if not client_id:
            raise bad_param("origClientOrderId")
        try:
            order = self.venue.cancel(client_id)
        except OrderNotFound as exc:
            raise BinanceError(400, -2011, "Unknown order sent.") from exc
        new, created = self._meta_of(order)
        return order_json(order, spec.market_id, new, created)

    def open_orders(self, params: dict[str, str]) -> list[dict[str, Any]]:
        spec = self.market(params) if params.get("symbol") else None
        out = []
        for order in self.venue.open_orders(None if spec is None else spec.symbol):
            new, created = self._meta_of(order)
            market_id = self._market_of(order.symbol)
            out.append(order_json(order, market_id, new, created))
        return out

    def my_trades(self, params: dict[str, str]) -> list[dict[str, Any]]:
        spec = self.market(params)
        start = params.get("startTime")
        since = None if start is None else from_ms(int(start))
        trades = self.venue.trades(spec.symbol, since)
        limit = min(int(params.get("limit") or 500), 1000)  # Binance: default 500, max 1000
        # from startTime, oldest first; without it, the most recent ones
        trades = trades[:limit] if since is not None else trades[-limit:]
        return [trade_json(t, spec.market_id) for t in trades]

    def account(self) -> dict[str, Any]:
        balances = self.venue.balances()
        return {
            "makerCommission": 10,
            "takerCommission": 10,
            "canTrade": True,
            "canWithdraw": False,
            "canDeposit": False,
            "accountType": "SPOT",
            "updateTime": ms(self.clock.now()),
            "balances": [
                {"asset": asset, "free": str(amount), "locked": "0"}
                for asset, amount in sorted(balances.items())
            ],
            "permissions": ["SPOT"],
        }

    def kline_rows(self, params: dict[str, str]) -> list[list[Any]]:
        spec = self.market(params)
        interval = params.get("interval", "")
        step = INTERVAL_MS.get(interval)
        if step is None:
            raise BinanceError(400, -1120, "Invalid interval.")
        if self.klines is None:
            return []
        limit = min(int(params.get("limit") or 500), 1000)
        now_ms = ms(self.clock.now())
        end_ms = int(params.get("endTime") or now_ms)
        start = params.get("startTime")
        start_ms = int(start) if start else end_ms - (limit + 1) * step
        bars = self.klines(spec.symbol, interval, from_ms(start_ms), from_ms(end_ms + 1))
        # closed bars only: Binance also returns the forming bar with its values so far, but
        # a bar source has no intrabar data, and its whole bar would be the future
        closed = [bar for bar in bars if ms(bar.ts) + step <= now_ms]
        # from startTime the first `limit`; without it the most recent ones
        rows = []
        for bar in closed[:limit] if start else closed[-limit:]:
            opened = ms(bar.ts)
            rows.append(
                [
                    opened,
                    str(bar.open),
                    str(bar.high),
                    str(bar.low),
                    str(bar.close),
                    str(bar.volume),
                    opened + step - 1,
                    str(bar.volume * bar.close),
                    1,
                    "0",
                    "0",
                    "0",
                ]
            )
        return rows

    def book_ticker(self, params: dict[str, str]) -> dict[str, Any] | list[dict[str, Any]]:
        specs = [self.market(params)] if params.get("symbol") else list(self.markets.values())
        rows = []
        for spec in specs:
            quote = self.venue.quote(spec.symbol)
            if quote is None:
                continue
            rows.append(
                {
                    "symbol": spec.market_id,
                    "bidPrice": str(quote.bid),
                    "bidQty": "1",
                    "askPrice": str(quote.ask),
                    "askQty": "1",
                }
            )
        return rows[0] if params.get("symbol") and rows else rows

    def _market_of(self, symbol: str) -> str:
        return symbol.replace("/", "")

    def check_key(self, key: str | None) -> None:
        if key != self.api_key:
            raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")

    def signed(self, payload: str, key: str | None) -> dict[str, str]:
        self.check_key(key)
        if self.faults.auth_failed:  # the key was revoked at the venue
            raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        verify_signature(payload, self.secret)
        params = dict(parse_qsl(payload, keep_blank_values=True))
        stamp = params.get("timestamp", "")
        if self.client_time is not None and stamp.isdigit():
            self.client_time(int(stamp))
        check_timestamp(params, ms(self.clock.now()))
        return params

    def admin(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if path == "quote":
            last = body.get("last")
            self.venue.set_quote(
                str(body["symbol"]),
                Decimal(str(body["bid"])),
                Decimal(str(body["ask"])),
                None if last is None else Decimal(str(last)),
            )
        elif path == "bar":
            self.venue.on_bar(
                str(body["symbol"]),
                *(Decimal(str(body[k])) for k in ("open", "high", "low", "close")),
                ts=parse_time(str(body["ts"])),
            )
        elif path == "settings":
            merged = {**self.venue.settings.model_dump(), **body}
            self.venue.settings = PaperSettings.model_validate(merged)
        elif path == "auth":
            self.faults.set_auth_failed(bool(body["failed"]))
        elif path == "outage":
            self.faults.set_down(bool(body["down"]))
        elif path == "faults":
            self.faults.configure(FaultSettings.model_validate(body))
        else:
            raise BinanceError(404, -1000, f"no admin route {path}")
        return {"ok": True}


def _handler(sim: BinanceSimulator) -> type[BaseHTTPRequestHandler]:
    from quorum.execution.paper.binance.routes import Handler

    return type("BoundHandler", (Handler,), {"sim": sim})
