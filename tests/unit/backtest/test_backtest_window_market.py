"""WindowMarket answers every request exactly as the run's own loader would."""

import random
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from quorum.backtest.frames import WindowMarket
from quorum.clock import ReplayClock
from quorum.domain import BarFrame, Timeframe
from quorum.errors import QuorumError
from quorum.market import (
    MarketDataLoader,
    QualityPolicy,
    QualityRejected,
    SyntheticParams,
    SyntheticSource,
    align_timeframes,
)
from quorum.ports import MarketData

M15 = Timeframe.M15
W0 = datetime(2024, 12, 20, tzinfo=UTC)
W1 = datetime(2025, 1, 3, tzinfo=UTC)
SYMBOLS = ("BTC/USDT", "ETH/USDT")


def _source(gappy: bool) -> SyntheticSource:
    params = SyntheticParams(gap_probability=0.03, max_gap_bars=8) if gappy else None
    return SyntheticSource(11, params=params)


def _pair(
    gappy: bool, policy: QualityPolicy | None = None
) -> tuple[ReplayClock, MarketData, WindowMarket]:
    clock = ReplayClock(W0)
    loader = MarketDataLoader(_source(gappy), clock, policy)
    market = WindowMarket(
        MarketDataLoader(_source(gappy), clock, policy),
        clock,
        M15,
        W0,
        W1,
        lambda: MarketDataLoader(_source(gappy), ReplayClock(W1), policy),
    )
    return clock, loader, market


def _answer(market: MarketData, *args: object) -> BarFrame | str:
    try:
        return market.fetch_bars(*args)  # type: ignore[arg-type]
    except QuorumError as exc:
        return f"{type(exc).__name__}: {exc}"


def _same(expected: BarFrame | str, got: BarFrame | str) -> None:
    if isinstance(expected, str) or isinstance(got, str):
        assert got == expected
        return
    assert (got.symbol, got.timeframe) == (expected.symbol, expected.timeframe)
    pd.testing.assert_frame_equal(got.df, expected.df, check_freq=False)


def _requests(rng: random.Random, now: datetime) -> list[tuple[str, Timeframe, datetime, datetime]]:
    out = []
    for _ in range(12):
        symbol = rng.choice(SYMBOLS)
        back = timedelta(minutes=15 * rng.randint(0, 900) + rng.choice((0, 0, 0, 7)))
        until = now + timedelta(minutes=rng.choice((-95, -30, -15, 0, 0, 0, 3, 15, 600)))
        since = min(until, now) - back
        tf = M15 if rng.random() < 0.9 else Timeframe.H1
        out.append((symbol, tf, since, until))
    # monitor-style: the last four bars up to the bar floor
    end = M15.floor(now)
    out.append((rng.choice(SYMBOLS), M15, end - M15.delta * 4, end))
    return out


@pytest.mark.parametrize("gappy", [False, True])
def test_window_market_matches_loader_on_random_requests_at_replay_times(gappy: bool) -> None:
    clock, loader, market = _pair(gappy)
    rng = random.Random(5)
    now = W0 + timedelta(days=6)
    outcomes = {"frames": 0, "errors": 0}
    while now < W1 + timedelta(hours=6):
        clock.set(now)
        for request in _requests(rng, now):
            expected = _answer(loader, *request)
            _same(expected, _answer(market, *request))
            outcomes["frames" if isinstance(expected, BarFrame) else "errors"] += 1
        now += timedelta(minutes=rng.choice((15, 45, 95, 240, 600)), seconds=rng.choice((0, 30)))
    assert market.served > 250, "the fast path must answer most requests"
    assert market.delegated > 25, "requests outside the window or other timeframes must pass on"
    assert outcomes["frames"] > 250
    if gappy:
        assert outcomes["errors"] > 0, "gappy data must produce stale rejections to compare"


def test_window_market_passes_everything_on_when_the_window_load_was_repaired() -> None:
    class Broken(SyntheticSource):
        def fetch_raw(self, symbol, timeframe, since, until):  # type: ignore[no-untyped-def]
            raw = super().fetch_raw(symbol, timeframe, since, until)
            if len(raw) > 10:
                raw.loc[raw.index[5], "high"] = float(raw["low"].iloc[5]) * 0.5
            return raw

    policy = QualityPolicy.repair_all()
    clock = ReplayClock(W0 + timedelta(days=3))
    market = WindowMarket(
        MarketDataLoader(Broken(11), clock, policy),
        clock,
        M15,
        W0,
        W1,
        lambda: MarketDataLoader(Broken(11), ReplayClock(W1), policy),
    )
    loader = MarketDataLoader(Broken(11), clock, policy)
    request = ("BTC/USDT", M15, W0 + timedelta(days=1), clock.now())
    _same(_answer(loader, *request), _answer(market, *request))
    assert (market.served, market.delegated) == (0, 1)


def test_window_market_alignment_equals_align_timeframes_for_scan_requests() -> None:
    clock, _loader, market = _pair(gappy=True)
    targets = [M15, Timeframe.H1, Timeframe.H4, Timeframe.D1]
    rng = random.Random(9)
    now = W0 + timedelta(days=5)
    while now < W1:
        clock.set(now + timedelta(seconds=rng.choice((0, 5, 40))))
        close = M15.floor(now)
        for frames in ([rng.choice(targets)], targets):
            longest = max(frames, key=lambda t: t.seconds)
            since = longest.floor(close) - longest.delta * rng.choice((3, 20, 100))
            since += M15.delta * rng.choice((0, 0, 0, 1, 5))  # off the target grid: not cached
            symbol = rng.choice(SYMBOLS)
            try:
                base = market.fetch_bars(symbol, M15, max(since, W0), close)
            except QualityRejected:
                continue  # gappy data: a stale window is refused before any alignment
            expected = align_timeframes(base, frames, close)
            got = market.align_timeframes(base, frames, close)
            assert list(got) == list(expected)
            for tf in frames:
                _same(expected[tf], got[tf])
        now += timedelta(minutes=rng.choice((15, 60, 135, 240)))
    assert market.aligned > 50, "most higher-timeframe answers must come from the resampled window"


def test_window_market_aligns_foreign_frames_with_the_market_function() -> None:
    clock, loader, market = _pair(gappy=False)
    clock.set(W0 + timedelta(days=4))
    foreign = loader.fetch_bars("BTC/USDT", M15, W0, clock.now())
    got = market.align_timeframes(foreign, [Timeframe.H4], clock.now())
    _same(align_timeframes(foreign, [Timeframe.H4], clock.now())[Timeframe.H4], got[Timeframe.H4])
    assert market.aligned == 0, "a frame the market did not serve is never answered from it"
