"""The ccxt → Quorum error translation table and Retry-After parsing."""

from __future__ import annotations

from datetime import UTC, datetime

import ccxt
import pytest
from requests.structures import CaseInsensitiveDict

from quorum.ccxt_adapter.errors import TRANSLATIONS, retry_after_seconds, translate_ccxt_error
from quorum.errors import (
    BackOff,
    ConfigError,
    MarketDataAuthFailed,
    MarketDataError,
    MarketDataRateLimited,
    MarketDataRefused,
    MarketDataUnavailable,
    QuorumError,
    Retryable,
    UnknownMarketSymbol,
)

CONTEXT = "binance fetch_ohlcv(BTC/USDT, 1h, since=2024-01-01T00:00:00+00:00, limit=1000)"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def _translate(error: Exception, retry_after: float | None = None) -> MarketDataError:
    return translate_ccxt_error(
        error, exchange_id="binance", context=CONTEXT, symbol="BTC/USDT", retry_after=retry_after
    )


@pytest.mark.parametrize(
    ("ccxt_error", "expected"),
    [
        (ccxt.BadSymbol, UnknownMarketSymbol),
        (ccxt.AuthenticationError, MarketDataAuthFailed),
        (ccxt.PermissionDenied, MarketDataAuthFailed),
        (ccxt.AccountSuspended, MarketDataAuthFailed),
        (ccxt.AccountNotEnabled, MarketDataAuthFailed),
        (ccxt.RateLimitExceeded, MarketDataRateLimited),
        (ccxt.DDoSProtection, MarketDataRateLimited),
        (ccxt.NetworkError, MarketDataUnavailable),
        (ccxt.RequestTimeout, MarketDataUnavailable),
        (ccxt.ExchangeNotAvailable, MarketDataUnavailable),
        (ccxt.OnMaintenance, MarketDataUnavailable),
        (ccxt.BadResponse, MarketDataUnavailable),
        (ccxt.NullResponse, MarketDataUnavailable),
        (ccxt.OperationFailed, MarketDataUnavailable),
        (ccxt.ExchangeError, MarketDataRefused),
        (ccxt.BadRequest, MarketDataRefused),
        (ccxt.NotSupported, MarketDataRefused),
        (ccxt.InsufficientFunds, MarketDataRefused),
        (ccxt.BaseError, MarketDataRefused),
    ],
)
def test_each_ccxt_error_translates_to_the_class_that_decides_retry(
    ccxt_error: type[Exception], expected: type[MarketDataError]
) -> None:
    translated = _translate(ccxt_error("binance GET https://api.binance.com/api/v3/klines"))

    assert type(translated) is expected


def test_rate_limit_subclasses_of_network_error_are_matched_before_network_error() -> None:
    assert issubclass(ccxt.RateLimitExceeded, ccxt.NetworkError)  # why order matters
    assert issubclass(ccxt.DDoSProtection, ccxt.NetworkError)
    classes = [source for source, _ in TRANSLATIONS]
    network = classes.index(ccxt.NetworkError)
    assert classes.index(ccxt.RateLimitExceeded) < network
    assert classes.index(ccxt.DDoSProtection) < network


def test_table_rows_never_shadow_a_later_more_specific_row() -> None:
    classes = [source for source, _ in TRANSLATIONS]
    for i, earlier in enumerate(classes):
        for later in classes[i + 1 :]:
            assert not issubclass(later, earlier), f"{later.__name__} is shadowed by {earlier}"


@pytest.mark.parametrize(
    ("ccxt_error", "retryable", "backoff", "config"),
    [
        (ccxt.RequestTimeout, True, False, False),
        (ccxt.RateLimitExceeded, True, True, False),
        (ccxt.DDoSProtection, True, True, False),
        (ccxt.BadSymbol, False, False, False),
        (ccxt.AuthenticationError, False, False, True),
        (ccxt.ExchangeError, False, False, False),
    ],
)
def test_translated_error_carries_the_behaviour_markers_of_quorum_errors(
    ccxt_error: type[Exception], retryable: bool, backoff: bool, config: bool
) -> None:
    translated = _translate(ccxt_error("boom"))

    assert isinstance(translated, QuorumError)
    assert isinstance(translated, Retryable) is retryable
    assert isinstance(translated, BackOff) is backoff
    assert isinstance(translated, ConfigError) is config


def test_bad_symbol_message_names_symbol_exchange_and_expectation() -> None:
    message = str(_translate(ccxt.BadSymbol('binance {"code":-1121,"msg":"Invalid symbol."}')))

    assert message.startswith(CONTEXT)
    assert "'BTC/USDT' is not listed on binance" in message
    assert "expected a symbol from the exchange's markets" in message
    assert "BadSymbol" in message
    assert "Invalid symbol." in message


def test_retry_after_is_kept_only_on_rate_limit_errors() -> None:
    limited = _translate(ccxt.DDoSProtection("binance 429"), retry_after=3.0)
    timeout = _translate(ccxt.RequestTimeout("binance GET"), retry_after=3.0)

    assert limited.retry_after == 3.0
    assert "Retry-After 3 s" in str(limited)
    assert timeout.retry_after is None


def test_long_vendor_messages_are_shortened_and_flattened() -> None:
    html = "<html>\n" + "x" * 5000 + "\n</html>"

    message = str(_translate(ccxt.ExchangeNotAvailable(html)))

    assert "\n" not in message
    assert len(message) < len(CONTEXT) + 500
    assert message.endswith("…]")


def test_gave_up_keeps_the_class_and_reports_attempts() -> None:
    error = _translate(ccxt.RateLimitExceeded("429"), retry_after=1.0)

    final = error.gave_up(5)

    assert type(final) is MarketDataRateLimited
    assert final.attempts == 5
    assert final.retry_after == 1.0
    assert str(final).endswith("; gave up after 5 attempts")
    assert "gave up after 1 attempt (" in str(error.gave_up(1, "why"))


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (CaseInsensitiveDict({"Retry-After": "7"}), 7.0),
        (CaseInsensitiveDict({"retry-after": "0.5"}), 0.5),
        ({"RETRY-AFTER": " 30 "}, 30.0),
        ({"Retry-After": "Sat, 01 Jun 2024 12:00:45 GMT"}, 45.0),
        ({"Retry-After": "Sat, 01 Jun 2024 11:59:00 GMT"}, 0.0),
        ({"Retry-After": "-3"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "nan"}, None),
        ({"Content-Type": "application/json"}, None),
        (None, None),
        ("Retry-After: 5", None),
    ],
)
def test_retry_after_header_is_read_as_seconds_or_http_date(
    headers: object, expected: float | None
) -> None:
    assert retry_after_seconds(headers, NOW) == expected
