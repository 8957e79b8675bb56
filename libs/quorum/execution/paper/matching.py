"""The paper exchange's matching engine: market, limit and stop orders against quotes or bars.

Behaves like a real venue where it matters for exactly-once: a client order id is unique
among *open* orders (a second submit while the first is open is refused as a duplicate),
but once an order is closed the same id may be used again — so only our own lookup
before a resend prevents a duplicate, as on Binance. Every client id ever seen can be
looked up (latest order first), after ``query_lag_s`` (venues index new orders late).
A submit arriving more than ``recv_window_s`` after its ``sent_at`` is refused (Binance's
``recvWindow``), which is what makes a "not found" after that window conclusive.

Fills: market orders take the quote (ask for buys, bid for sells) plus ``slippage``; a
marketable limit takes the quote too (taker) plus the slippage, never beyond its limit
price (price protection), a resting limit fills at its price when the
market trades through it (maker); a stop triggers on ``last`` (or a bar's range) and then
fills as a market order (a bar that opens through the stop fills it at the open: a gap is
never filled at the better stop price). Against a bar, stop orders are matched before the
others, so a bar that touches both a position's stop and its take-profit fills the stop
(pessimistic; the other leg then finds no position and expires). ``partial_fill_ratio``
< 1 fills that fraction of the remainder per match. Fees are in the quote currency.

Reduce-only orders never increase or flip the position (the venue keeps one net position
per symbol): one submitted against a flat position, or a position on its own side, is
rejected like Binance futures' ``-2022 ReduceOnly Order is rejected``; a fill of an
accepted one is clipped to the position held at that moment, and once the position is
flat what is left of the order expires (status ``expired``).

A bar fed with its open time (``ts``) is applied once: a bar at or before the last one
applied for its symbol is ignored. Thread-safe (one lock). This engine keeps its state in
memory; :mod:`quorum.execution.paper.stored` shares it through the database.
"""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from quorum.clock import Clock
from quorum.domain import Liquidity, OrderType, Side, split_symbol
from quorum.execution.errors import DuplicateClientOrderId, OrderNotFound, OrderRejected
from quorum.execution.paper.model import (
    ZERO,
    Book,
    PaperOrder,
    PaperSettings,
    Quote,
    VenueStats,
)
from quorum.ports import BrokerOrder, BrokerPosition, BrokerTrade, OrderRequest

__all__ = ["PaperSettings", "PaperVenue", "VenueStats"]


class PaperVenue:
    """The pure matching engine (no I/O); wrap it with a transport to reach it."""

    def __init__(self, clock: Clock, settings: PaperSettings | None = None) -> None:
        self.settings = settings or PaperSettings()
        self._clock = clock
        self._rng = random.Random(self.settings.seed)  # noqa: S311 - simulation, not crypto
        self._lock = threading.RLock()
        self._orders: dict[str, PaperOrder] = {}
        self._by_client: dict[str, list[str]] = {}
        self._open_by_client: dict[str, str] = {}
        self._quotes: dict[str, Quote] = {}
        self._trades: list[BrokerTrade] = []
        self._books: dict[str, Book] = {}
        self._balances: dict[str, Decimal] = dict(self.settings.initial_balances)
        self._next_id = 0
        self._last_bar: dict[str, datetime] = {}
        self._stats = VenueStats()

    @property
    def stats(self) -> VenueStats:
        return self._stats

    # -- market data ---------------------------------------------------------------------

    def set_quote(
        self, symbol: str, bid: Decimal, ask: Decimal, last: Decimal | None = None
    ) -> None:
        """A new best bid / ask (and last); resting orders that it crosses fill."""
        if not (0 < bid <= ask):
            raise ValueError(f"quote {symbol}: need 0 < bid <= ask (got bid={bid}, ask={ask})")
        with self._lock:
            quote = Quote(bid, ask, last if last is not None else (bid + ask) / 2)
            self._quotes[symbol] = quote
            for order in self._open(symbol):
                self._match(order, quote, quote.last, quote.last)

    def on_bar(
        self,
        symbol: str,
        open_: Decimal,
        high: Decimal,
        low: Decimal,
        close: Decimal,
        *,
        ts: datetime | None = None,
    ) -> bool:
        """Match resting orders against a bar's range; the close becomes the quote.

        With ``ts`` (the bar's open time) feeding is idempotent: a bar at or before the
        last one applied for ``symbol`` is ignored and False is returned.
        """
        with self._lock:
            if ts is not None:
                last = self._last_bar.get(symbol)
                if last is not None and ts <= last:
                    return False
                self._last_bar[symbol] = ts
            quote = Quote(close, close, close)
            self._quotes[symbol] = quote
            for order in self._bar_order(symbol):
                self._match(order, Quote(open_, open_, open_), low, high)
            return True

    def quote(self, symbol: str) -> Quote | None:
        """The current best bid / ask / last of ``symbol`` (None before the first)."""
        with self._lock:
            return self._quotes.get(symbol)

    def _bar_order(self, symbol: str) -> list[PaperOrder]:
        """The open orders in the order a bar matches them: stop orders first (a bar's
        range does not tell whether its high or its low came first, so when one bar touches
        a position's protective stop and its take-profit the stop is taken: pessimistic),
        then the rest in arrival order."""
        return sorted(self._open(symbol), key=lambda o: (o.order_type is not OrderType.STOP, o.seq))

    def last_bar(self, symbol: str) -> datetime | None:
        """The open time of the last bar applied for ``symbol`` (bars fed with ``ts``)."""
        with self._lock:
            return self._last_bar.get(symbol)

    def last_price(self, symbol: str) -> Decimal | None:
        """The venue's last price in ``symbol`` (None before its first quote or bar)."""
        with self._lock:
            quote = self._quotes.get(symbol)
            return None if quote is None else quote.last

    def _open(self, symbol: str) -> list[PaperOrder]:
        ids = [v for v in self._open_by_client.values() if self._orders[v].symbol == symbol]
        return sorted((self._orders[v] for v in ids), key=lambda o: o.seq)

    # -- orders --------------------------------------------------------------------------

    def submit(self, request: OrderRequest) -> BrokerOrder:
        with self._lock:
            now = self._clock.now()
            self._stats.submits += 1
            cid = request.client_order_id
            late = (now - request.sent_at).total_seconds() > self.settings.recv_window_s
            if late and self.settings.enforce_recv_window:
                self._stats.late_refused += 1
                raise OrderRejected(
                    f"paper: order {cid} arrived {(now - request.sent_at).total_seconds():.3f} s "
                    f"after sending; expected within recvWindow {self.settings.recv_window_s} s"
                )
            if cid in self._open_by_client:
                self._stats.duplicates_refused += 1
                raise DuplicateClientOrderId(
                    f"paper: client order id {cid} is already used by an open order"
                )
            self._refuse_invalid(request)
            if request.reduce_only and self._reduce_room(request.symbol, request.side) <= 0:
                held = self._books.get(request.symbol, Book()).quantity
                raise OrderRejected(
                    f"paper: order {cid}: -2022 ReduceOnly Order is rejected: the position in "
                    f"{request.symbol} is {held}; a reduce-only {request.side.value} cannot "
                    "reduce it"
                )
            if self._rng.random() < self.settings.reject_probability:
                raise OrderRejected(f"paper: order {cid} rejected (simulated rejection)")
            self._next_id += 1
            order = PaperOrder(
                venue_order_id=f"P{self._next_id}",
                client_order_id=cid,
                symbol=request.symbol,
                side=request.side,
                order_type=request.order_type,
                quantity=request.quantity,
                price=request.price,
                stop_price=request.stop_price,
                created_at=now,
                updated_at=now,
                reduce_only=request.reduce_only,
            )
            self._orders[order.venue_order_id] = order
            self._by_client.setdefault(cid, []).append(order.venue_order_id)
            self._open_by_client[cid] = order.venue_order_id
            self._stats.accepted[cid] += 1
            quote = self._quotes[request.symbol]
            self._match(order, quote, quote.last, quote.last)
            return order.view()

    def _refuse_invalid(self, request: OrderRequest) -> None:
        cid = request.client_order_id
        if request.symbol not in self._quotes:
            raise OrderRejected(f"paper: order {cid}: unknown symbol {request.symbol!r}")
        if request.quantity <= 0:
            raise OrderRejected(f"paper: order {cid}: quantity must be > 0")
        step = self.settings.amount_step
        if request.quantity % step != 0:
            raise OrderRejected(f"paper: order {cid}: quantity must be a multiple of {step}")
        limit = self.settings.max_quantity
        if limit is not None and request.quantity > limit:
            raise OrderRejected(f"paper: order {cid}: quantity above the maximum {limit}")
        if request.order_type is OrderType.LIMIT and request.price is None:
            raise OrderRejected(f"paper: order {cid}: a limit order needs a price")
        if request.order_type is OrderType.STOP and request.stop_price is None:
            raise OrderRejected(f"paper: order {cid}: a stop order needs a stop price")

    def fetch_by_client_id(self, client_order_id: str) -> BrokerOrder:
        with self._lock:
            visible_before = self._clock.now() - timedelta(seconds=self.settings.query_lag_s)
            for venue_id in reversed(self._by_client.get(client_order_id, [])):
                order = self._orders[venue_id]
                if order.created_at <= visible_before:
                    return order.view()
        raise OrderNotFound(f"paper: no order with client id {client_order_id}")

    def open_orders(self, symbol: str | None = None) -> list[BrokerOrder]:
        with self._lock:
            orders = [self._orders[v] for v in self._open_by_client.values()]
            return [o.view() for o in orders if symbol is None or o.symbol == symbol]

    def trades(self, symbol: str | None = None, since: datetime | None = None) -> list[BrokerTrade]:
        with self._lock:
            return [
                t
                for t in self._trades
                if (symbol is None or t.symbol == symbol) and (since is None or t.ts >= since)
            ]

    def cancel(self, client_order_id: str) -> BrokerOrder:
        with self._lock:
            venue_id = self._open_by_client.pop(client_order_id, None)
            if venue_id is None:
                raise OrderNotFound(f"paper: no open order with client id {client_order_id}")
            order = self._orders[venue_id]
            order.status = "canceled"
            order.updated_at = self._clock.now()
            return order.view()

    def balances(self) -> dict[str, Decimal]:
        with self._lock:
            return {k: v for k, v in self._balances.items() if v != 0}

    def positions(self) -> list[BrokerPosition]:
        with self._lock:
            return [
                BrokerPosition(symbol=s, quantity=b.quantity, average_entry=b.entry)
                for s, b in sorted(self._books.items())
                if b.quantity != 0
            ]

    # -- matching ------------------------------------------------------------------------

    def _match(self, order: PaperOrder, quote: Quote, low: Decimal, high: Decimal) -> None:
        buy = order.side is Side.BUY
        if order.order_type is OrderType.STOP and not order.triggered:
            stop = order.stop_price
            assert stop is not None
            if (buy and high >= stop) or (not buy and low <= stop):
                order.triggered = True
                quote = Quote(min(stop, quote.bid), max(stop, quote.ask), stop)
            else:
                return
        if order.order_type is OrderType.LIMIT:
            limit = order.price
            assert limit is not None
            touch = quote.ask if buy else quote.bid
            if (buy and touch <= limit) or (not buy and touch >= limit):
                # a marketable limit pays the slippage a market order would, up to its limit
                slip = self.settings.slippage
                price = min(touch * (1 + slip), limit) if buy else max(touch * (1 - slip), limit)
                self._fill(order, price, Liquidity.TAKER)
            elif (buy and low < limit) or (not buy and high > limit):
                self._fill(order, limit, Liquidity.MAKER)
            return
        touch = quote.ask if buy else quote.bid
        slip = self.settings.slippage
        self._fill(order, touch * (1 + slip) if buy else touch * (1 - slip), Liquidity.TAKER)

    def _reduce_room(self, symbol: str, side: Side) -> Decimal:
        """How much an order of ``side`` can reduce the position in ``symbol`` (0: none)."""
        held = self._books.get(symbol, Book()).quantity
        if held > 0 and side is Side.SELL:
            return held
        if held < 0 and side is Side.BUY:
            return -held
        return ZERO

    def _expire(self, order: PaperOrder) -> None:
        """A reduce-only order whose position is gone: what is left of it never fills."""
        order.status = "expired"
        order.updated_at = self._clock.now()
        self._open_by_client.pop(order.client_order_id, None)

    def _fill(self, order: PaperOrder, price: Decimal, liquidity: Liquidity) -> None:
        remaining = order.quantity - order.filled
        quantity = remaining
        if self.settings.partial_fill_ratio < 1:
            step = self.settings.amount_step
            part = (remaining * self.settings.partial_fill_ratio / step).quantize(
                Decimal(1), rounding=ROUND_DOWN
            ) * step
            quantity = part if part > 0 else remaining
        if order.reduce_only:
            room = self._reduce_room(order.symbol, order.side)
            if room <= 0:
                self._expire(order)
                return
            quantity = min(quantity, room)
        rate = self.settings.maker_fee if liquidity is Liquidity.MAKER else self.settings.taker_fee
        fee = quantity * price * rate
        now = self._clock.now()
        order.filled += quantity
        order.cost += quantity * price
        order.updated_at = now
        if order.filled == order.quantity:
            order.status = "closed"
            self._open_by_client.pop(order.client_order_id, None)
        _, quote_ccy = split_symbol(order.symbol)
        self._trades.append(
            BrokerTrade(
                venue_trade_id=f"T{len(self._trades) + 1}",
                venue_order_id=order.venue_order_id,
                client_order_id=order.client_order_id,
                symbol=order.symbol,
                side=order.side,
                quantity=quantity,
                price=price,
                fee=fee,
                fee_currency=quote_ccy,
                liquidity=liquidity,
                ts=now,
            )
        )
        self._settle(order.symbol, order.side, quantity, price, fee)
        if (
            order.reduce_only
            and order.status == "open"
            and self._reduce_room(order.symbol, order.side) <= 0
        ):
            self._expire(order)

    def _settle(
        self, symbol: str, side: Side, quantity: Decimal, price: Decimal, fee: Decimal
    ) -> None:
        base, quote_ccy = split_symbol(symbol)
        sign = 1 if side is Side.BUY else -1
        self._balances[base] = self._balances.get(base, ZERO) + sign * quantity
        self._balances[quote_ccy] = (
            self._balances.get(quote_ccy, ZERO) - sign * quantity * price - fee
        )
        book = self._books.setdefault(symbol, Book())
        signed = sign * quantity
        if book.quantity == 0 or (book.quantity > 0) == (signed > 0):
            size = abs(book.quantity) + quantity
            entry = book.entry if book.entry is not None and book.quantity != 0 else price
            book.entry = (abs(book.quantity) * entry + quantity * price) / size
            book.quantity += signed
            return
        after = book.quantity + signed
        if after == 0:
            book.entry = None
        elif (after > 0) != (book.quantity > 0):
            book.entry = price
        book.quantity = after
