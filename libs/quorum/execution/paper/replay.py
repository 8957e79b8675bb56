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
- **Stops and targets intrabar, from the entry bar on.** Every bar from the one whose open
  filled the entry (that bar's whole range: the position lived through it) is checked
  against the stop and target from its high / low: the pipeline monitor sees the entry's
  market time through :meth:`ReplayVenue.fill_time` (``PipelineDeps.fill_time``), and the
  replay loop advances trades from their fills before the bar's decisions. A reduce-only
  market exit sent for a position whose protective stop (or take-profit) the last fed bar
  touched is filled at that level and stamped with that bar: a long's stop at
  ``min(stop, open)`` (a gap through the stop fills at the open), its target at
  ``max(target, open)``; mirrored for a short. Stops pay slippage and the taker fee,
  targets fill as resting limits (maker fee, no slippage).
- **Pessimistic rule.** When one bar touches both the stop and the target, the stop is
  taken (the worse outcome; the risk monitor applies the same rule when it decides).
- **End of run.** :meth:`settle_at_close` fills what still rests at the last close.
- **Reduce-only** as in :class:`~quorum.execution.PaperVenue`: refused (``-2022``) against a
  flat or same-side position; a resting exit fills at most the position it finds when it
  fills (next open, touched level or last close) and the rest expires, so two exits
  resting for one position never flip it.

Every fill is stamped with the venue clock (the replay time it became known, so the
execution service's trade queries stay ordered) and its *market* time is kept in
:attr:`fill_notes` (bar open for next-bar fills, bar open of the touching bar for stops
and targets, the last close at the end) for the report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from quorum.clock import Clock
from quorum.domain import Bar, Direction, Liquidity, OrderType, Side
from quorum.execution.paper.matching import PaperSettings, PaperVenue
from quorum.ports import BrokerOrder, OrderRequest

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class ExitLevels:
    """The protective levels of the open position in one symbol."""

    direction: Direction
    stop: Decimal
    target: Decimal | None


@dataclass(frozen=True, slots=True)
class FillNote:
    """What the venue knows about one fill beyond the broker trade."""

    market_time: datetime
    rule: str
    """``next_open`` | ``stop`` | ``target`` | ``last_close``."""
    slippage: Decimal


def touched(levels: ExitLevels, bar: Bar) -> tuple[str, Decimal] | None:
    """``(rule, price)`` when ``bar`` touched the stop or the target; the stop wins a tie."""
    long = levels.direction is Direction.LONG
    stop, target = levels.stop, levels.target
    if (bar.low <= stop) if long else (bar.high >= stop):
        return "stop", (min(stop, bar.open) if long else max(stop, bar.open))
    if target is not None and ((bar.high >= target) if long else (bar.low <= target)):
        return "target", (max(target, bar.open) if long else min(target, bar.open))
    return None


class ReplayVenue(PaperVenue):
    """A paper venue with next-bar fills and intrabar stops / targets (see module doc)."""

    def __init__(
        self,
        clock: Clock,
        settings: PaperSettings,
        levels: Callable[[str], ExitLevels | None] | None = None,
    ) -> None:
        super().__init__(clock, settings)
        self._levels = levels
        self._deferring = False
        self._bar: dict[str, Bar] = {}
        self._market_time: datetime | None = None
        self._rule = "next_open"
        self.fill_notes: dict[str, FillNote] = {}
        """Venue trade id → market time, fill rule and slippage paid."""
        self._first_fill: dict[str, datetime] = {}

    def set_levels(self, levels: Callable[[str], ExitLevels | None]) -> None:
        self._levels = levels

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
            self._market_time, self._rule = bar.ts, "next_open"
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
            if request.order_type is OrderType.MARKET and request.reduce_only:
                self._trigger(request)
                order = self.fetch_by_client_id(request.client_order_id)
            return order

    def _trigger(self, request: OrderRequest) -> None:
        bar = self._bar.get(request.symbol)
        levels = None if self._levels is None else self._levels(request.symbol)
        if bar is None or levels is None:
            return
        hit = touched(levels, bar)
        if hit is None:
            return
        rule, level = hit
        venue_id = self._open_by_client.get(request.client_order_id)
        if venue_id is None:
            return
        order = self._orders[venue_id]
        self._market_time, self._rule = bar.ts, rule
        try:
            if rule == "stop":
                slip = self.settings.slippage
                price = level * (1 + slip) if request.side is Side.BUY else level * (1 - slip)
                self._fill(order, price, Liquidity.TAKER)
            else:
                self._fill(order, level, Liquidity.MAKER)
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
                self._market_time = None
            return len(resting)

    def _match(self, order: object, quote: object, low: Decimal, high: Decimal) -> None:
        kind = getattr(order, "order_type", None)
        entry_limit = kind is OrderType.LIMIT and not getattr(order, "reduce_only", True)
        if self._deferring and (kind is OrderType.MARKET or entry_limit):
            return  # rests until the next bar: no fill at the close it was decided on
        super()._match(order, quote, low, high)  # type: ignore[arg-type]

    def _fill(self, order: object, price: Decimal, liquidity: Liquidity) -> None:
        before = len(self._trades)
        super()._fill(order, price, liquidity)  # type: ignore[arg-type]
        if len(self._trades) == before:
            return
        trade = self._trades[-1]
        slip = self.settings.slippage
        cost = ZERO
        if liquidity is Liquidity.TAKER and slip > 0:
            base = price / (1 + slip) if trade.side is Side.BUY else price / (1 - slip)
            cost = abs(price - base) * trade.quantity
        when = self._market_time or self._clock.now()
        self.fill_notes[trade.venue_trade_id] = FillNote(when, self._rule, cost)
        if trade.client_order_id is not None:
            self._first_fill.setdefault(trade.client_order_id, when)
