"""CcxtSource pagination, trimming, configuration and retry policy with an in-memory exchange."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import ccxt
import pandas as pd
import pytest

from quorum.clock import ReplayClock
from quorum.domain import Timeframe
from quorum.errors import (
    ClockError,
    ConfigError,
    DataQualityError,
    MarketDataUnavailable,
    UnknownMarketSymbol,
    ValidationFailed,
)
from quorum.market.ccxt_source import CcxtSource, ccxt_timeframe

T0 = datetime(2024, 1, 1, tzinfo=UTC)
T0_MS = 1_704_067_200_000
HOUR_MS = 3_600_000
NOW = datetime(2024, 6, 1, tzinfo=UTC)

Pager = Callable[[int, int], list[list[Any]]]


def _bar(ms: int, close: float = 100.0) -> list[Any]:
    return [ms, 100.0, 101.0, 99.0, close, 5.0]


def _hours(first: int, count: int) -> list[list[Any]]:
    return [_bar(T0_MS + h * HOUR_MS, 100.0 + h) for h in range(first, first + count)]


class FakeExchange:
    """Just enough of a ccxt exchange: records calls, answers through ``pager``."""

    def __init__(self, pager: Pager, timeframes: dict[str, str] | None = None) -> None:
        self.pager = pager
        self.calls: list[tuple[str, str, int, int]] = []
        self.timeframes = timeframes if timeframes is not None else {"1h": "1h", "1d": "1d"}
        self.has = {"fetchOHLCV": True}
        self.last_response_headers: object = None

    def fetch_ohlcv(self, symbol: str, timeframe: str, since: int, limit: int) -> Any:
        self.calls.append((symbol, timeframe, since, limit))
        return self.pager(since, limit)


def _source(exchange: FakeExchange, *, now: datetime = NOW, **kwargs: Any) -> CcxtSource:
    sleeps: list[float] = kwargs.pop("sleeps", [])
    return CcxtSource("fakex", ReplayClock(now), exchange=exchange, sleep=sleeps.append, **kwargs)


def _contiguous(total_hours: int) -> Pager:
    def pager(since: int, limit: int) -> list[list[Any]]:
        first = (since - T0_MS) // HOUR_MS
        return _hours(first, max(0, min(limit, total_hours - first)))

    return pager


def test_pages_advance_one_bar_past_the_last_bar_until_until_is_reached() -> None:
    exchange = FakeExchange(_contiguous(100))
    frame = _source(exchange, page_limit=3).fetch_raw(
        "BTC/USDT", Timeframe.H1, T0, T0 + timedelta(hours=7)
    )

    assert [since for _, _, since, _ in exchange.calls] == [
        T0_MS,
        T0_MS + 3 * HOUR_MS,
        T0_MS + 6 * HOUR_MS,
    ]
    assert all(call[:2] == ("BTC/USDT", "1h") and call[3] == 3 for call in exchange.calls)
    assert len(frame) == 7
    assert frame.index[-1] == pd.Timestamp("2024-01-01T06:00Z")


def test_overlapping_pages_are_deduplicated_keeping_the_later_reply() -> None:
    def pager(since: int, limit: int) -> list[list[Any]]:
        if since == T0_MS:
            return _hours(0, 3)
        # the venue repeats the previous page's last bar with a revised close
        return [_bar(T0_MS + 2 * HOUR_MS, 555.0), *_hours(3, 2)]

    exchange = FakeExchange(pager)
    frame = _source(exchange, page_limit=3).fetch_raw(
        "BTC/USDT", Timeframe.H1, T0, T0 + timedelta(hours=5)
    )

    assert frame.index.is_unique
    assert len(frame) == 5
    assert frame.loc[pd.Timestamp("2024-01-01T02:00Z"), "close"] == 555.0


def test_page_that_does_not_advance_stops_pagination_instead_of_looping() -> None:
    exchange = FakeExchange(lambda since, limit: _hours(0, 2))  # ignores `since`
    frame = _source(exchange, page_limit=2).fetch_raw(
        "BTC/USDT", Timeframe.H1, T0, T0 + timedelta(hours=10)
    )

    assert len(exchange.calls) == 2
    assert len(frame) == 2


def test_empty_page_stops_pagination() -> None:
    exchange = FakeExchange(_contiguous(4))
    frame = _source(exchange, page_limit=2).fetch_raw(
        "BTC/USDT", Timeframe.H1, T0, T0 + timedelta(hours=10)
    )

    assert [since for _, _, since, _ in exchange.calls] == [
        T0_MS,
        T0_MS + 2 * HOUR_MS,
        T0_MS + 4 * HOUR_MS,
    ]
    assert len(frame) == 4


def test_pagination_stops_once_the_cursor_passes_the_clock() -> None:
    exchange = FakeExchange(_contiguous(100))
    now = T0 + timedelta(hours=3, minutes=30)
    frame = _source(exchange, page_limit=2, now=now).fetch_raw(
        "BTC/USDT", Timeframe.H1, T0, T0 + timedelta(days=30)
    )

    assert len(exchange.calls) == 2  # 00-01, 02-03; the 04:00 bar cannot exist at 03:30
    assert len(frame) == 4


def test_bars_outside_since_until_are_trimmed_and_unsorted_replies_sorted() -> None:
    def pager(since: int, limit: int) -> list[list[Any]]:
        return [_bar(T0_MS + h * HOUR_MS) for h in (3, -1, 0, 2, 1)]

    exchange = FakeExchange(pager)
    frame = _source(exchange).fetch_raw("BTC/USDT", Timeframe.H1, T0, T0 + timedelta(hours=3))

    assert [ts.hour for ts in frame.index] == [0, 1, 2]


def test_frame_has_utc_ts_index_and_float64_columns_even_when_empty() -> None:
    exchange = FakeExchange(lambda since, limit: [])
    frame = _source(exchange).fetch_raw("BTC/USDT", Timeframe.H1, T0, T0 + timedelta(hours=3))

    assert frame.empty
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert all(str(dtype) == "float64" for dtype in frame.dtypes)
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert str(frame.index.tz) == "UTC"
    assert frame.index.name == "ts"


def test_missing_values_become_nan_for_the_quality_gate() -> None:
    exchange = FakeExchange(lambda since, limit: [[T0_MS, 1.0, 2.0, 0.5, 1.5, None]])
    frame = _source(exchange).fetch_raw("BTC/USDT", Timeframe.H1, T0, T0 + timedelta(hours=1))

    assert frame["volume"].isna().all()


def test_equal_since_and_until_makes_no_request() -> None:
    exchange = FakeExchange(_contiguous(10))
    frame = _source(exchange).fetch_raw("BTC/USDT", Timeframe.H1, T0, T0)

    assert frame.empty
    assert exchange.calls == []


def test_non_utc_aware_bounds_are_converted_to_utc() -> None:
    exchange = FakeExchange(_contiguous(10))
    plus2 = timezone(timedelta(hours=2))
    frame = _source(exchange).fetch_raw(
        "BTC/USDT", Timeframe.H1, datetime(2024, 1, 1, 2, tzinfo=plus2), T0 + timedelta(hours=2)
    )

    assert exchange.calls[0][2] == T0_MS
    assert len(frame) == 2


def test_naive_bounds_are_refused() -> None:
    exchange = FakeExchange(_contiguous(10))
    with pytest.raises(ClockError, match="since: must be timezone-aware"):
        _source(exchange).fetch_raw("BTC/USDT", Timeframe.H1, datetime(2024, 1, 1), T0)


def test_until_before_since_is_refused() -> None:
    exchange = FakeExchange(_contiguous(10))
    with pytest.raises(ValidationFailed, match="until: must not be before since"):
        _source(exchange).fetch_raw("BTC/USDT", Timeframe.H1, T0, T0 - timedelta(hours=1))


def test_unsupported_timeframe_is_a_config_error_listing_the_supported_ones() -> None:
    exchange = FakeExchange(_contiguous(10), timeframes={"1m": "1", "1d": "D"})
    with pytest.raises(ConfigError, match=r"does not support '1h'; supported: 1m, 1d"):
        _source(exchange).fetch_raw("BTC/USDT", Timeframe.H1, T0, T0 + timedelta(hours=1))
    assert exchange.calls == []


def test_exchange_without_ohlcv_is_a_config_error() -> None:
    exchange = FakeExchange(_contiguous(10))
    exchange.has = {"fetchOHLCV": False}
    with pytest.raises(ConfigError, match="does not offer OHLCV"):
        _source(exchange).fetch_raw("BTC/USDT", Timeframe.H1, T0, T0 + timedelta(hours=1))


@pytest.mark.parametrize("timeframe", list(Timeframe))
def test_every_timeframe_maps_to_a_binance_ccxt_timeframe(timeframe: Timeframe) -> None:
    assert ccxt_timeframe(timeframe) in ccxt.binance().timeframes


def test_source_satisfies_the_raw_bar_source_protocol() -> None:
    from quorum.market.source import RawBarSource

    source = _source(FakeExchange(_contiguous(1)))

    assert isinstance(source, RawBarSource)
    assert repr(source) == "CcxtSource(fakex, page_limit=1000)"


def test_unknown_exchange_id_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"'binanse' is not a ccxt exchange id; did you mean"):
        CcxtSource("binanse", ReplayClock(NOW))


def test_non_exchange_attribute_of_ccxt_is_not_accepted_as_exchange_id() -> None:
    with pytest.raises(ConfigError, match="'Exchange' is not a ccxt exchange id"):
        CcxtSource("Exchange", ReplayClock(NOW))


def test_built_exchange_has_rate_limiting_on_and_takes_the_config() -> None:
    source = CcxtSource("binance", ReplayClock(NOW), config={"timeout": 1234})

    assert source.exchange.enableRateLimit is True
    assert source.exchange.timeout == 1234
    assert source.exchange.id == "binance"
    source.close()


def test_config_turning_rate_limiting_off_is_refused() -> None:
    with pytest.raises(ConfigError, match="enableRateLimit must stay on"):
        CcxtSource("binance", ReplayClock(NOW), config={"enableRateLimit": False})


def test_instance_and_config_together_are_refused() -> None:
    with pytest.raises(ConfigError, match="either an exchange instance or its config"):
        CcxtSource("fakex", ReplayClock(NOW), exchange=FakeExchange(_contiguous(1)), config={})


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"page_limit": 0}, "page_limit"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"base_delay": -1.0}, "base_delay"),
        ({"base_delay": 2.0, "max_delay": 1.0}, "max_delay"),
    ],
)
def test_nonsensical_retry_settings_are_refused(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed, match=f"^{field}: "):
        CcxtSource("fakex", ReplayClock(NOW), exchange=FakeExchange(_contiguous(1)), **kwargs)


@pytest.mark.parametrize(
    "reply",
    [
        {"not": "a list"},
        "csv,text",
        [[T0_MS, 1.0, 2.0]],
        [["x", 1, 2, 3, 4, 5]],
        [[True, 1, 2, 3, 4, 5]],
    ],
)
def test_malformed_reply_is_a_data_quality_error_naming_the_request(reply: object) -> None:
    exchange = FakeExchange(lambda since, limit: reply)  # type: ignore[arg-type,return-value]
    with pytest.raises(DataQualityError, match=r"fakex fetch_ohlcv\(BTC/USDT, 1h, since=2024"):
        _source(exchange).fetch_raw("BTC/USDT", Timeframe.H1, T0, T0 + timedelta(hours=1))


def test_network_errors_are_retried_until_success_with_growing_jittered_waits() -> None:
    failures = iter(
        [ccxt.RequestTimeout("t1"), ccxt.NetworkError("t2"), ccxt.ExchangeNotAvailable("t3")]
    )

    def pager(since: int, limit: int) -> list[list[Any]]:
        error = next(failures, None)
        if error is not None:
            raise error
        return _hours(0, 1)

    exchange = FakeExchange(pager)
    sleeps: list[float] = []
    frame = _source(exchange, base_delay=1.0, max_delay=60.0, sleeps=sleeps).fetch_raw(
        "BTC/USDT", Timeframe.H1, T0, T0 + timedelta(hours=1)
    )

    assert len(frame) == 1
    assert len(exchange.calls) == 4
    for attempt, slept in enumerate(sleeps, start=1):
        assert 2 ** (attempt - 1) <= slept <= 2 ** (attempt - 1) + 1.0


def test_waits_never_exceed_max_delay() -> None:
    def pager(since: int, limit: int) -> list[list[Any]]:
        raise ccxt.RateLimitExceeded("429")

    sleeps: list[float] = []
    source = _source(
        FakeExchange(pager), base_delay=1.0, max_delay=3.0, max_attempts=6, sleeps=sleeps
    )
    with pytest.raises(Exception, match="gave up after 6 attempts"):
        source.fetch_raw("BTC/USDT", Timeframe.H1, T0, T0 + timedelta(hours=1))

    assert len(sleeps) == 5
    assert all(0 < s <= 3.0 for s in sleeps)


def test_stale_retry_after_from_an_earlier_reply_is_not_used() -> None:
    exchange = FakeExchange(lambda since, limit: [])
    exchange.last_response_headers = {"Retry-After": "999"}

    def pager(since: int, limit: int) -> list[list[Any]]:
        if exchange.last_response_headers is not None:
            pytest.fail("headers were not reset before the request")
        raise ccxt.DDoSProtection("418")

    exchange.pager = pager
    sleeps: list[float] = []
    with pytest.raises(Exception, match="gave up after 2 attempts"):
        _source(exchange, max_attempts=2, sleeps=sleeps).fetch_raw(
            "BTC/USDT", Timeframe.H1, T0, T0 + timedelta(hours=1)
        )
    assert len(sleeps) == 1
    assert sleeps[0] < 999


def test_non_retryable_error_is_raised_on_the_first_attempt() -> None:
    def pager(since: int, limit: int) -> list[list[Any]]:
        raise ccxt.BadSymbol("fakex does not have market symbol XYZ/USDT")

    exchange = FakeExchange(pager)
    sleeps: list[float] = []
    with pytest.raises(UnknownMarketSymbol, match="'XYZ/USDT' is not listed on fakex"):
        _source(exchange, sleeps=sleeps).fetch_raw(
            "XYZ/USDT", Timeframe.H1, T0, T0 + timedelta(hours=1)
        )
    assert len(exchange.calls) == 1
    assert sleeps == []


def test_give_up_error_chains_the_last_translated_error() -> None:
    def pager(since: int, limit: int) -> list[list[Any]]:
        raise ccxt.RequestTimeout("fakex GET https://fakex/ohlcv")

    with pytest.raises(MarketDataUnavailable) as caught:
        _source(FakeExchange(pager), max_attempts=2).fetch_raw(
            "BTC/USDT", Timeframe.H1, T0, T0 + timedelta(hours=1)
        )
    assert isinstance(caught.value.__cause__, MarketDataUnavailable)
    assert isinstance(caught.value.__cause__.__cause__, ccxt.RequestTimeout)
