"""CcxtSource against recorded Binance replies (vcrpy cassettes, record_mode="none").

The cassettes in tests/cassettes/ccxt/ are hand-written in vcrpy's format with
bodies in Binance's wire format (exchanges are unreachable from our machines).
A request the cassette does not hold fails the test; every interaction must be
played exactly once. ccxt's sync client sends through ``requests``, which vcrpy
patches, and the exchange is built inside the cassette so no traffic escapes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
import vcr

from quorum.clock import ReplayClock
from quorum.domain import Timeframe
from quorum.market.ccxt_source import CcxtSource

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes" / "ccxt"
NOW = datetime(2024, 6, 1, tzinfo=UTC)
T0 = datetime(2024, 1, 1, tzinfo=UTC)
T0_MS = 1_704_067_200_000
HOUR_MS = 3_600_000

_VCR = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    match_on=["method", "scheme", "host", "port", "path", "query"],
)


@contextmanager
def _binance(cassette: str, page_limit: int) -> Iterator[tuple[CcxtSource, Any, list[str]]]:
    """A Binance-backed source playing ``cassette``; yields (source, cassette, urls sent)."""
    with _VCR.use_cassette(cassette, allow_playback_repeats=False) as cass:
        source = CcxtSource("binance", ReplayClock(NOW), page_limit=page_limit, sleep=_no_sleep)
        sent: list[str] = []
        source.exchange.session.hooks["response"].append(
            lambda response, *args, **kwargs: sent.append(response.request.url)
        )
        yield source, cass, sent
        assert cass.all_played, f"unplayed interactions in {cassette}"


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"no retry expected, asked to sleep {seconds} s")


def _kline_start_times(urls: list[str]) -> list[int]:
    return [
        int(parse_qs(urlsplit(url).query)["startTime"][0])
        for url in urls
        if urlsplit(url).path.endswith("/klines")
    ]


def test_single_page_parses_binance_klines_exactly_into_a_utc_frame() -> None:
    with _binance("binance_btcusdt_1h_single_page.yaml", page_limit=1000) as (source, cass, sent):
        frame = source.fetch_raw("BTC/USDT", Timeframe.H1, T0, datetime(2024, 1, 1, 3, tzinfo=UTC))

    assert cass.play_count == 4  # three exchangeInfo loads + one klines page
    assert [urlsplit(u).path for u in sent] == [
        "/api/v3/exchangeInfo",
        "/fapi/v1/exchangeInfo",
        "/dapi/v1/exchangeInfo",
        "/api/v3/klines",
    ]
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert all(str(dtype) == "float64" for dtype in frame.dtypes)
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert str(frame.index.tz) == "UTC"
    assert frame.index.name == "ts"
    assert list(frame.index) == [
        pd.Timestamp("2024-01-01T00:00Z"),
        pd.Timestamp("2024-01-01T01:00Z"),
        pd.Timestamp("2024-01-01T02:00Z"),
    ]
    assert frame.iloc[0].tolist() == [42283.58, 42554.57, 42261.02, 42475.23, 1271.68108]
    assert frame.iloc[2].tolist() == [42613.57, 42680.0, 42500.0, 42582.88, 685.2626]


def test_pagination_advances_start_time_one_bar_past_each_page_and_trims_to_until() -> None:
    with _binance("binance_btcusdt_1h_three_pages.yaml", page_limit=2) as (source, cass, sent):
        frame = source.fetch_raw("BTC/USDT", Timeframe.H1, T0, datetime(2024, 1, 1, 5, tzinfo=UTC))

    assert _kline_start_times(sent) == [T0_MS, T0_MS + 2 * HOUR_MS, T0_MS + 4 * HOUR_MS]
    assert cass.play_count == 6
    assert [ts.hour for ts in frame.index] == [0, 1, 2, 3, 4]  # the 05:00 bar is past `until`
    assert frame.index.is_monotonic_increasing
    assert frame.index.is_unique
    assert frame.loc[pd.Timestamp("2024-01-01T04:00Z"), "close"] == 42591.97


def test_trailing_empty_page_ends_pagination_before_until() -> None:
    until = datetime(2024, 1, 1, 10, tzinfo=UTC)
    with _binance("binance_btcusdt_1h_trailing_empty_page.yaml", page_limit=2) as (
        source,
        cass,
        sent,
    ):
        frame = source.fetch_raw("BTC/USDT", Timeframe.H1, T0, until)

    assert _kline_start_times(sent) == [T0_MS, T0_MS + 2 * HOUR_MS, T0_MS + 4 * HOUR_MS]
    assert cass.play_count == 6
    assert [ts.hour for ts in frame.index] == [0, 1, 2, 3]


def test_request_missing_from_cassette_fails_instead_of_reaching_the_network() -> None:
    with _VCR.use_cassette("binance_btcusdt_1h_single_page.yaml"):
        source = CcxtSource("binance", ReplayClock(NOW), sleep=_no_sleep)
        until = datetime(2024, 1, 2, tzinfo=UTC)  # a second page the cassette does not hold
        with pytest.raises(vcr.errors.CannotOverwriteExistingCassetteException):
            source.fetch_raw("BTC/USDT", Timeframe.H1, T0, until)
