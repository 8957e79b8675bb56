"""Prices the tasks act on: the latest closed bar from the market data source, the base
timeframe's ATR (the trailing stop's unit), the venue's last price (the price collar's
reference and the entry limit's anchor), and the paper venue's feed of those bars (the
venue fills resting orders against what it is fed)."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from quorum.analysis import IndicatorParams, compute_indicators
from quorum.domain import Bar, Timeframe
from quorum.execution import PaperVenue
from quorum.ports import MarketData

if TYPE_CHECKING:
    from quorum.pipeline.deps import QuoteFeed


def latest_bar(market: MarketData, symbol: str, base: Timeframe, as_of: datetime) -> Bar | None:
    """The last base bar closed at ``as_of`` (None when the source has none recently)."""
    end = base.floor(as_of)
    frame = market.fetch_bars(symbol, base, end - base.delta * 4, end)
    bars = frame.closed_at(as_of).tail(1).bars()
    return bars[-1] if bars else None


ATR_LENGTH = 14
ATR_BARS = 4 * ATR_LENGTH
"""Base bars loaded for the ATR (its warm-up included)."""
_ATR = IndicatorParams(atr_length=ATR_LENGTH)


def base_atr(market: MarketData, symbol: str, base: Timeframe, as_of: datetime) -> Decimal | None:
    """The ATR(14) of the base bars closed at ``as_of`` (None: too few bars, or flat)."""
    end = base.floor(as_of)
    closed = market.fetch_bars(symbol, base, end - base.delta * ATR_BARS, end).closed_at(as_of)
    if len(closed.df) <= ATR_LENGTH:
        return None
    value = float(compute_indicators(closed.df, _ATR)["atr"].iloc[-1])
    return Decimal(repr(value)) if math.isfinite(value) and value > 0 else None


def venue_price(
    quotes: QuoteFeed | None, market: MarketData, symbol: str, base: Timeframe, now: datetime
) -> Decimal | None:
    """The price the venue trades ``symbol`` at ``now``: its last price from the quote feed
    (synced to ``now``), else — no feed (a replay, whose venue is fed the bars up to the
    clock) — the close of the latest base bar closed at ``now``. None: neither is known."""
    if quotes is not None:
        last = quotes.last(symbol, now)
        if last is not None:
            return last
    bar = latest_bar(market, symbol, base, now)
    return None if bar is None else bar.close


class PaperBarFeed:
    """Feeds the paper venue each newly closed base bar once, oldest first.

    An order stored at ``t`` is matched only against bars that open at or after the bar
    it was fed before it (no same-bar look-ahead): the venue's quote at ``t`` is the close
    of the bar that closed at ``t``, and resting orders see the ranges of later bars.
    """

    def __init__(self, venue: PaperVenue, market: MarketData, base: Timeframe) -> None:
        self._venue = venue
        self._market = market
        self._base = base
        self._fed: dict[str, datetime] = {}

    def sync(self, symbol: str, as_of: datetime) -> None:
        end = self._base.floor(as_of)
        last = self._fed.get(symbol)
        since = end - self._base.delta * 4 if last is None else last
        if last is not None and last >= end:
            return
        frame = self._market.fetch_bars(symbol, self._base, since, end)
        for bar in frame.closed_at(as_of).bars():
            if last is not None and bar.ts < last:
                continue
            self._venue.on_bar(symbol, bar.open, bar.high, bar.low, bar.close, ts=bar.ts)
            self._fed[symbol] = bar.ts + self._base.delta
            last = self._fed[symbol]

    def last(self, symbol: str, as_of: datetime) -> Decimal | None:
        """The venue's last price after feeding it every bar closed at ``as_of``."""
        self.sync(symbol, as_of)
        return self._venue.last_price(symbol)
