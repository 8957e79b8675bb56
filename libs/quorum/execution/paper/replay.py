"""The paper exchange as a replay sees it: fills from the next bars, never the same bar.

Used wherever bars are replayed bar by bar (``quorum run`` and ``quorum backtest``, through
the pipeline's one bar driver, :mod:`quorum.pipeline.driver`).

:class:`ReplayVenue` is the pipeline's :class:`~quorum.execution.PaperVenue` with the
replay fill rules:

- **Next-bar fills.** A market order is accepted when it is sent (at a bar close) and rests;
  it fills at the *open of the next bar* fed to the venue, plus slippage against the
  order, plus the taker fee. Nothing fills at the close the decision was taken on. An
  entry LIMIT (the pipeline's marketable-limit entry) rests the same way; the next bar
  fills it at its open plus slippage when that is within the limit (taker, never beyond
  the limit), else at the limit when the bar's range trades through it (maker), else it
  keeps resting until it is cancelled (the sweep expires a stale one).
- **Protective orders rest at the venue.** The position's stop and take-profit are real
  resting orders (a reduce-only stop and a reduce-only limit, placed by
  :mod:`quorum.pipeline.protection` after the entry fill). Every bar fed matches them
  intrabar from its high / low: a long's stop fills at ``min(stop, open)`` (a gap through
  the stop fills at the open) plus slippage and the taker fee; its target at ``target``
  (maker fee, no slippage), or at the open when the bar opens beyond it. Mirrored for a
  short.
- **Bracket on the entry bar.** An order sent at a close rests until the next bar — except
  a protective (reduce-only stop or limit) order sent while the position was opened at
  the open of the last bar fed: a real bracket rests from the entry fill on, so it is
  matched against that bar's whole range at once (the position lived through it).
- **Pessimistic rule.** When one bar touches both the stop and the target, the stop is
  taken (stop orders match first; the target then finds no position and expires).
- **End of run.** :meth:`settle_at_close` fills what still rests at the last close.
- **Reduce-only** as in :class:`~quorum.execution.PaperVenue`: refused (``-2022``) against a
  flat or same-side position; a resting exit fills at most the position it finds when it
  fills (next open, touched level or last close) and the rest expires, so two exits
  resting for one position never flip it.

Every fill is stamped with the venue clock (the replay time it became known, so the
execution service's trade queries stay ordered) and its *market* time is kept in
:attr:`fill_notes` (the open of the bar it filled in, the last close at the end) and its
rule (``next_open`` for market orders, ``stop``, ``target`` for a reduce-only limit,
``limit``, ``last_close``) for the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from quorum.clock import Clock
from quorum.domain import Bar, Liquidity, OrderType, Side
from quorum.execution.paper.matching import PaperSettings, PaperVenue
from quorum.execution.paper.model import Book, PaperOrder, Quote
from quorum.ports import BrokerOrder, OrderRequest

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class FillNote:
    """What the venue knows about one fill beyond the broker trade."""

    market_time: datetime
    rule: str
    """``next_open`` | ``stop`` | ``target`` | ``last_close``."""
    slippage: Decimal


class ReplayVenue(PaperVenue):
    """A paper venue with next-bar fills and resting protective orders (see module doc)."""

    def __init__(self, clock: Clock, settings: PaperSettings) -> None:
        super().__init__(clock, settings)
        self._deferring = False
        self._bar: dict[str, Bar] = {}
        self._opened_in: dict[str, datetime] = {}
        """Symbol → open time of the bar whose fill last opened its position from flat."""
        self._market_time: datetime | None = None
        self._rule: str | None = None
        self.fill_notes: dict[str, FillNote] = {}
        """Venue trade id → market time, fill rule and slippage paid."""
        self._first_fill: dict[str, datetime] = {}

    def last_fed_bar(self, symbol: str) -> Bar | None:
        return self._bar.get(symbol)

    def fill_time(self, client_order_id: str) -> datetime | None:
        """The market time of the order's first fill (None before it fills): the pipeline
        monitor's ``fill_time``, so an entry filled at a bar's open lives that whole bar."""
        with self._lock:
            return self._first_fill.get(client_order_id)

    def feed(self, bar: Bar) -> None:
        """Match resting orders against ``bar`` (market orders at its open)."""
        with self._lock:
            self._bar[bar.symbol] = bar
            self._market_time = bar.ts
            try:
                self.on_bar(bar.symbol, bar.open, bar.high, bar.low, bar.close)
            finally:
                self._market_time = None

    def submit(self, request: OrderRequest) -> BrokerOrder:
        with self._lock:
            self._deferring = True
            try:
                order = super().submit(request)
            finally:
                self._deferring = False
            bar = self._bar.get(request.symbol)
            protective = request.reduce_only and request.order_type is not OrderType.MARKET
            if protective and bar is not None and self._opened_in.get(bar.symbol) == bar.ts:
                self._bracket(request.client_order_id, bar)
                order = self.fetch_by_client_id(request.client_order_id)
            return order

    def _bracket(self, client_order_id: str, bar: Bar) -> None:
        """Match a protective order against the bar its position was opened in."""
        venue_id = self._open_by_client.get(client_order_id)
        if venue_id is None:
            return
        self._market_time = bar.ts
        try:
            open_ = Quote(bar.open, bar.open, bar.open)
            super()._match(self._orders[venue_id], open_, bar.low, bar.high)
        finally:
            self._market_time = None

    def settle_at_close(self, symbol: str) -> int:
        """Fill every resting market order in ``symbol`` at the last fed bar's close."""
        with self._lock:
            bar = self._bar.get(symbol)
            if bar is None:
                return 0
            resting = [o for o in self._open(symbol) if o.order_type is OrderType.MARKET]
            self._market_time, self._rule = bar.close_time, "last_close"
            try:
                slip = self.settings.slippage
                for order in resting:
                    buy = order.side is Side.BUY
                    price = bar.close * (1 + slip) if buy else bar.close * (1 - slip)
                    self._fill(order, price, Liquidity.TAKER)
            finally:
                self._market_time, self._rule = None, None
            return len(resting)

    def _match(self, order: PaperOrder, quote: Quote, low: Decimal, high: Decimal) -> None:
        if self._deferring:
            return  # rests until the next bar: no fill at the close it was decided on
        super()._match(order, quote, low, high)

    def _fill(self, order: PaperOrder, price: Decimal, liquidity: Liquidity) -> None:
        before = len(self._trades)
        flat = self._books.get(order.symbol, Book()).quantity == 0
        super()._fill(order, price, liquidity)
        if len(self._trades) == before:
            return
        trade = self._trades[-1]
        slip = self.settings.slippage
        cost = ZERO
        if liquidity is Liquidity.TAKER and slip > 0:
            base = price / (1 + slip) if trade.side is Side.BUY else price / (1 - slip)
            cost = abs(price - base) * trade.quantity
        when = self._market_time or self._clock.now()
        self.fill_notes[trade.venue_trade_id] = FillNote(when, self._rule or _rule(order), cost)
        if trade.client_order_id is not None:
            self._first_fill.setdefault(trade.client_order_id, when)
        bar = self._bar.get(order.symbol)
        if flat and bar is not None and self._market_time == bar.ts:
            self._opened_in[order.symbol] = bar.ts


def _rule(order: PaperOrder) -> str:
    if order.order_type is OrderType.STOP:
        return "stop"
    if order.order_type is OrderType.LIMIT:
        return "target" if order.reduce_only else "limit"
    return "next_open"
