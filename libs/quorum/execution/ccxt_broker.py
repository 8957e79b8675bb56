"""``CcxtBroker``: live trading through ccxt's unified API.

- Orders go out with our derived id as ``params={"clientOrderId": …}``; ccxt maps it to
  the venue's own field (Binance spot ``newClientOrderId``, lookups ``origClientOrderId``),
  so ccxt never invents one (it would, per call, when none is given).
- Quantities and prices are rounded by the venue's own market data
  (``amount_to_precision`` / ``price_to_precision`` after ``load_markets``) and handed to
  ccxt as strings: no float crosses the boundary, no precision table is ours.
- A stop order is sent with ``triggerPrice`` where the venue supports stop orders
  (``has["createStopOrder"]``); otherwise the monitor manages the stop.
- ``options.recvWindow`` is set from ``recv_window_s``: a submit that reaches the venue
  later is refused there, which bounds when a lost request could still create an order.
- ccxt's rate limiter is on; ``Retry-After`` is read from the last response headers.
- Requests are signed with the broker's clock when it is not the system clock (a live run
  replayed over history against a simulator living at the same time): ccxt's ``nonce``
  (Binance's ``timestamp``) is the clock's milliseconds.
- What the venue can promise (receive window, lookup by client id, server time) is its
  row of :data:`quorum.execution.venues.CAPABILITIES`. Where the venue signs with the
  timestamp we give (Binance: ``timestamp`` overrides ccxt's ``nonce()``), the order's
  ``sent_at`` is sent as that timestamp, so the deadline the executor computes is the
  venue's. ``server_offset_s`` (venue clock minus ours, from ``fetch_time``) is measured
  at the first use and every ``time_sync_s``.
Errors are translated by :func:`~quorum.ccxt_adapter.errors.translate_order_error`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, localcontext
from typing import Any, TypeVar

import ccxt

from quorum.ccxt_adapter.errors import retry_after_seconds, translate_order_error
from quorum.clock import Clock, SystemClock
from quorum.domain import Liquidity, OrderType, Side
from quorum.errors import BrokerError
from quorum.execution.errors import OrderRejected, PositionsNotReported
from quorum.execution.venues import VenueCapabilities, capabilities_for
from quorum.ports import BrokerOrder, BrokerPosition, BrokerTrade, OrderRequest

T = TypeVar("T")
_STATUSES = {"open", "closed", "canceled", "expired", "rejected"}


def _dec(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value))


def _ms_time(value: object, fallback: datetime) -> datetime:
    if isinstance(value, int | float) and value > 0:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    return fallback


_MAX_TRADE_PAGES = 50


class CcxtBroker:
    def __init__(
        self,
        exchange_id: str,
        clock: Clock,
        *,
        exchange: Any | None = None,
        config: Mapping[str, Any] | None = None,
        recv_window_s: float | None = None,
        name: str = "live",
        lookup_lag_s: float | None = None,
        time_sync_s: float = 600.0,
    ) -> None:
        self.exchange_id = exchange_id
        self._clock = clock
        self._name = name
        self._capabilities = capabilities_for(
            exchange_id, recv_window_s=recv_window_s, lookup_lag_s=lookup_lag_s
        )
        if recv_window_s is None:  # the venue's default (the table's), else 5 s
            recv_window_s = self._capabilities.default_recv_window_s or 5.0
        self._recv_window = recv_window_s
        self._time_sync_s = time_sync_s
        self._offset_s = 0.0
        self._offset_at: float | None = None
        if exchange is None:
            cls = getattr(ccxt, exchange_id, None)
            if cls is None:
                raise BrokerError(f"exchange {exchange_id!r}: not a ccxt exchange id")
            exchange = cls({"enableRateLimit": True, **dict(config or {})})
        exchange.options["recvWindow"] = int(recv_window_s * 1000)
        exchange.options["warnOnFetchOpenOrdersWithoutSymbol"] = False
        if not isinstance(clock, SystemClock):
            # a replayed run signs with its own clock (Binance's `timestamp` is ccxt's
            # nonce); live, ccxt reads the same system time itself
            exchange.nonce = lambda: (
                int(clock.now().timestamp() * 1000)
                - int(exchange.options.get("timeDifference") or 0)
            )
        self.exchange = exchange
        self._markets_loaded = False

    @property
    def name(self) -> str:
        return self._name

    @property
    def recv_window_s(self) -> float:
        return self._recv_window

    @property
    def capabilities(self) -> VenueCapabilities:
        return self._capabilities

    @property
    def server_offset_s(self) -> float:
        """Venue clock minus ours (s), from ``fetch_time`` around a local midpoint;
        refreshed every ``time_sync_s``; 0 while the venue has no time endpoint."""
        now = self._clock.monotonic()
        due = self._offset_at is None or now - self._offset_at >= self._time_sync_s
        if due and self._capabilities.server_time and self.exchange.has.get("fetchTime"):
            before = self._clock.now()
            try:
                server_ms = self._call("fetch_time", self.exchange.fetch_time)
            except BrokerError:
                return self._offset_s  # the last measure holds until the next one works
            after = self._clock.now()
            if isinstance(server_ms, int | float):
                middle = before + (after - before) / 2
                self._offset_s = server_ms / 1000 - middle.timestamp()
            self._offset_at = now
        return self._offset_s

    def _call(self, context: str, fn: Callable[[], T], *, submit: bool = False) -> T:
        self.exchange.last_response_headers = None
        try:
            # ccxt's decimal_to_precision sets the thread's Decimal context (rounding
            # HALF_UP, Underflow trapped) and never restores it; in a local copy that
            # cannot leak into the risk engine's money math on the same thread.
            with localcontext():
                return fn()
        except ccxt.BaseError as exc:
            headers = getattr(self.exchange, "last_response_headers", None)
            raise translate_order_error(
                exc,
                context=f"{self.exchange_id} {context}",
                submit=submit,
                retry_after=retry_after_seconds(headers, self._clock.now()),
            ) from exc

    def _markets(self) -> None:
        if not self._markets_loaded:
            self._call("load_markets", self.exchange.load_markets)
            self._markets_loaded = True

    # -- the Broker port -------------------------------------------------------------------

    def submit(self, request: OrderRequest) -> BrokerOrder:
        self._markets()
        ex, symbol = self.exchange, request.symbol
        context = f"submit({request.client_order_id}, {symbol})"
        amount = self._call(context, lambda: ex.amount_to_precision(symbol, str(request.quantity)))
        params: dict[str, Any] = {"clientOrderId": request.client_order_id}
        if self._capabilities.stamps_our_time:
            params["timestamp"] = int(request.sent_at.timestamp() * 1000)
        price = None
        if request.price is not None:
            price = self._call(context, lambda: ex.price_to_precision(symbol, str(request.price)))
        order_type = "limit" if request.order_type is OrderType.LIMIT else "market"
        if request.order_type is OrderType.STOP:
            if not ex.has.get("createStopOrder"):
                raise OrderRejected(
                    f"{self.exchange_id} {context}: the venue has no stop orders; "
                    "expected the monitor to manage this stop"
                )
            stop = request.stop_price
            params["triggerPrice"] = self._call(
                context, lambda: ex.price_to_precision(symbol, str(stop))
            )
        if request.reduce_only and ex.market(symbol).get("contract"):
            params["reduceOnly"] = True
        raw = self._call(
            context,
            lambda: ex.create_order(symbol, order_type, request.side.value, amount, price, params),
            submit=True,
        )
        return self._order(raw, request.client_order_id, request)

    def fetch_order_by_client_id(self, symbol: str, client_order_id: str) -> BrokerOrder:
        self._markets()
        raw = self._call(
            f"fetch_order({client_order_id}, {symbol})",
            lambda: self.exchange.fetch_order(None, symbol, {"clientOrderId": client_order_id}),
        )
        return self._order(raw, client_order_id)

    def fetch_open_orders(self, symbol: str | None = None) -> list[BrokerOrder]:
        self._markets()
        raws = self._call(
            f"fetch_open_orders({symbol})", lambda: self.exchange.fetch_open_orders(symbol)
        )
        return [self._order(raw, None) for raw in raws]

    def fetch_my_trades(self, symbol: str, since: datetime | None = None) -> list[BrokerTrade]:
        """Every trade in ``symbol`` since ``since``, page by page (the venue returns at
        most ``capabilities.trades_page``): a full page asks again from its last trade's
        millisecond — inclusive, so trades sharing it are not skipped, as ccxt's own
        ``paginate`` (last + 1) would — until a page is short. Without ``since``, one
        page: the venue's most recent trades."""
        self._markets()
        page = self._capabilities.trades_page
        since_ms = None if since is None else int(since.timestamp() * 1000)
        seen: dict[str, BrokerTrade] = {}
        for _ in range(_MAX_TRADE_PAGES):
            start = since_ms
            raws: list[dict[str, Any]] = self._call(
                f"fetch_my_trades({symbol})",
                lambda: self.exchange.fetch_my_trades(symbol, start, page),  # noqa: B023
            )
            fresh = [t for t in map(self._trade, raws) if t.venue_trade_id not in seen]
            seen.update((t.venue_trade_id, t) for t in fresh)
            if since_ms is None or len(raws) < page:
                return sorted(seen.values(), key=lambda t: (t.ts, t.venue_trade_id))
            if not fresh:
                raise BrokerError(
                    f"fetch_my_trades({symbol}): more than {page} trades in one millisecond; "
                    "cannot page past them by time"
                )
            since_ms = max(int(r["timestamp"]) for r in raws)
        raise BrokerError(
            f"fetch_my_trades({symbol}): more than {_MAX_TRADE_PAGES} pages of {page} since "
            f"{since}; reconcile over a shorter window (execution.reconcile_lookback_s)"
        )

    def cancel(self, symbol: str, client_order_id: str) -> BrokerOrder:
        self._markets()
        raw = self._call(
            f"cancel({client_order_id}, {symbol})",
            lambda: self.exchange.cancel_order(None, symbol, {"clientOrderId": client_order_id}),
        )
        return self._order(raw, client_order_id)

    def fetch_balance(self) -> dict[str, Decimal]:
        raw = self._call("fetch_balance", self.exchange.fetch_balance)
        totals = raw.get("total") or {}
        out: dict[str, Decimal] = {}
        for asset, amount in totals.items():
            value = _dec(amount)
            if value:
                out[str(asset)] = value
        return out

    def fetch_positions(self) -> list[BrokerPosition]:
        spot = self.exchange.options.get("defaultType", "spot") == "spot"
        if spot or not self.exchange.has.get("fetchPositions"):
            raise PositionsNotReported(
                f"{self.exchange_id}: a spot account holds balances, not positions"
            )
        raws = self._call("fetch_positions", self.exchange.fetch_positions)
        out = []
        for raw in raws:
            contracts = _dec(raw.get("contracts")) or Decimal(0)
            if contracts == 0:
                continue
            signed = -contracts if raw.get("side") == "short" else contracts
            out.append(
                BrokerPosition(
                    symbol=str(raw["symbol"]),
                    quantity=signed,
                    average_entry=_dec(raw.get("entryPrice")),
                )
            )
        return out

    # -- parsing ccxt's unified structures ---------------------------------------------------

    def _order(
        self,
        raw: Mapping[str, Any],
        client_order_id: str | None,
        request: OrderRequest | None = None,
    ) -> BrokerOrder:
        now = self._clock.now()
        status = str(raw.get("status") or "open")
        if status not in _STATUSES:
            status = "open"
        kind = str(raw.get("type") or "")
        order_type = OrderType.LIMIT if kind == "limit" else OrderType.MARKET
        if request is not None:
            order_type = request.order_type
        amount = _dec(raw.get("amount"))
        if amount is None and request is not None:
            amount = request.quantity
        return BrokerOrder(
            client_order_id=str(raw.get("clientOrderId") or client_order_id or ""),
            venue_order_id=str(raw.get("id") or ""),
            symbol=str(raw.get("symbol") or (request.symbol if request else "")),
            side=Side(str(raw.get("side") or (request.side.value if request else "buy"))),
            order_type=order_type,
            status=status,
            quantity=amount or Decimal(0),
            filled=_dec(raw.get("filled")) or Decimal(0),
            average_price=_dec(raw.get("average")),
            price=_dec(raw.get("price")),
            updated_at=_ms_time(raw.get("lastUpdateTimestamp") or raw.get("timestamp"), now),
        )

    def _trade(self, raw: Mapping[str, Any]) -> BrokerTrade:
        fee = raw.get("fee") or {}
        taker = raw.get("takerOrMaker") != "maker"
        info = raw.get("info") or {}
        return BrokerTrade(
            venue_trade_id=str(raw.get("id")),
            venue_order_id=str(raw.get("order") or ""),
            client_order_id=info.get("clientOrderId") if isinstance(info, Mapping) else None,
            symbol=str(raw.get("symbol")),
            side=Side(str(raw.get("side"))),
            quantity=_dec(raw.get("amount")) or Decimal(0),
            price=_dec(raw.get("price")) or Decimal(0),
            fee=_dec(fee.get("cost")) or Decimal(0),
            fee_currency=str(fee.get("currency") or ""),
            liquidity=Liquidity.TAKER if taker else Liquidity.MAKER,
            ts=_ms_time(raw.get("timestamp"), self._clock.now()),
        )
