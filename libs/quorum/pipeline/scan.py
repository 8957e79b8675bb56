"""The scan stage: load bars through the quality gates, align timeframes, analyse each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from quorum.analysis.scan import ScanParams, analyze_timeframe
from quorum.domain import BarFrame, ScanResult, Timeframe
from quorum.market import align_timeframes
from quorum.ports import MarketData


def history_start(timeframes: Sequence[Timeframe], as_of: datetime, history_bars: int) -> datetime:
    """Open time of the oldest base bar needed for ``history_bars`` closed bars per timeframe."""
    longest = max(timeframes, key=lambda tf: tf.seconds)
    return longest.floor(as_of) - longest.delta * history_bars


def _align(
    market: MarketData, base: BarFrame, targets: list[Timeframe], as_of: datetime
) -> dict[Timeframe, BarFrame]:
    """``align_timeframes``, or the market's own equal answer when it keeps the frames it
    served already aligned (the backtest's window market, ``quorum.backtest.frames``)."""
    own = getattr(market, "align_timeframes", None)
    if callable(own):
        result: dict[Timeframe, BarFrame] = own(base, targets, as_of)
        return result
    return align_timeframes(base, targets, as_of)


class ScanStage:
    """Multi-timeframe scan of one symbol from one aligned base data set."""

    def __init__(self, market: MarketData, base: Timeframe, params: ScanParams) -> None:
        self._market = market
        self._base = base
        self._params = params

    @property
    def params(self) -> ScanParams:
        return self._params

    def scan(self, symbol: str, timeframes: Sequence[Timeframe], as_of: datetime) -> ScanResult:
        if any(tf.seconds < self._base.seconds for tf in timeframes):
            finer = [tf.value for tf in timeframes if tf.seconds < self._base.seconds]
            raise ValueError(f"timeframes: {finer} are finer than the base timeframe {self._base}")
        since = history_start(timeframes, as_of, self._params.history_bars)
        base_frame = self._market.fetch_bars(symbol, self._base, since, as_of)
        frames = _align(self._market, base_frame, list(timeframes), as_of)
        return ScanResult(
            symbol=symbol,
            as_of=as_of,
            timeframes=tuple(
                analyze_timeframe(symbol, tf, frames[tf], as_of, self._params) for tf in timeframes
            ),
        )
