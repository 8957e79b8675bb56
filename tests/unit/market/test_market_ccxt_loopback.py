"""CcxtSource error and retry paths against a scripted Binance on 127.0.0.1.

A ``ThreadingHTTPServer`` speaks the Binance endpoints ccxt's ``binance`` uses:
``exchangeInfo`` (bodies taken from the recorded cassette) and ``/api/v3/klines``,
whose replies follow a per-test script (status + Binance error body + headers, a
connection reset, or a hang past the client timeout). The exchange is pointed at
it by rewriting every ``exchange.urls['api']`` entry to ``http://127.0.0.1:<port>``
+ the entry's real path. Loopback URLs are not ``https://api.binance.com``, so ccxt
applies Binance's cross-market error table (``exceptions['exact']``), where -1121
is ``BadSymbol``, -2015 ``AuthenticationError`` and -1001 ``OperationFailed``.
Sleeps go through the injected ``sleep`` and are recorded, never slept.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from quorum.clock import ReplayClock
from quorum.domain import Timeframe
from quorum.errors import (
    BackOff,
    ConfigError,
    MarketDataAuthFailed,
    MarketDataRateLimited,
    MarketDataUnavailable,
    Retryable,
    UnknownMarketSymbol,
)
from quorum.market.ccxt_source import BACKOFF_MULTIPLIER, CcxtSource

CASSETTE = (
    Path(__file__).resolve().parents[2]
    / "cassettes"
    / "ccxt"
    / "binance_btcusdt_1h_single_page.yaml"
)
NOW = datetime(2024, 6, 1, tzinfo=UTC)
SINCE = datetime(2024, 1, 1, tzinfo=UTC)
UNTIL = datetime(2024, 1, 1, 2, tzinfo=UTC)
T0_MS = 1_704_067_200_000
HOUR_MS = 3_600_000
BASE = 0.01  # base_delay: waits are BASE * 2**(n-1) + U(0, BASE)
MAX = 5.0
TIMEOUT_MS = 1000  # generous: only the "hang" reply should ever reach it

TWO_BARS = [
    [T0_MS, "42283.58", "42554.57", "42261.02", "42475.23", "1271.68108", T0_MS + HOUR_MS - 1,
     "53929190.54", 47134, "610.40", "25886011.46", "0"],
    [T0_MS + HOUR_MS, "42475.23", "42775.00", "42431.65", "42613.56", "1196.37856",
     T0_MS + 2 * HOUR_MS - 1, "50969704.61", 44185, "634.08", "27013943.44", "0"],
]  # fmt: skip
INTERNAL = {
    "code": -1001,
    "msg": "Internal error; unable to process your request. Please try again.",
}
TOO_MANY = {
    "code": -1003,
    "msg": "Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. "
    "Please use WebSocket Streams for live updates to avoid polling the API.",
}
BANNED = {
    "code": -1003,
    "msg": "Way too many requests; IP(127.0.0.1) banned until 1717207200000. "
    "Please use WebSocket Streams for live updates to avoid bans.",
}
GATEWAY_HTML = "<html><head><title>502 Bad Gateway</title></head><body>502</body></html>"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: object = field(default_factory=lambda: TWO_BARS)
    headers: tuple[tuple[str, str], ...] = ()
    action: str = "reply"  # "reply" | "reset" (TCP RST, no reply) | "hang" (past the timeout)


OK = Reply()
RESET = Reply(action="reset")
HANG = Reply(action="hang")


class Venue:
    """The scripted server's state: replies still to give and the klines queries seen."""

    def __init__(self, infos: dict[str, str]) -> None:
        self.infos = infos
        self.script: list[Reply] = []
        self.klines: list[dict[str, list[str]]] = []
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.base_url = ""

    def next_reply(self, query: dict[str, list[str]]) -> Reply:
        with self.lock:
            self.klines.append(query)
            return self.script.pop(0) if self.script else OK


def _handler(venue: Venue) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path in venue.infos:
                self._send(Reply(body=venue.infos[url.path]))
            elif url.path == "/api/v3/klines":
                self._act(venue.next_reply(parse_qs(url.query)))
            else:
                self._send(Reply(404, {"code": -1, "msg": f"unscripted path {url.path}"}))

        def _act(self, reply: Reply) -> None:
            if reply.action == "reset":
                linger = struct.pack("ii", 1, 0)
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                self.close_connection = True
            elif reply.action == "hang":
                venue.release.wait(3 * TIMEOUT_MS / 1000)
                self.close_connection = True
            else:
                self._send(reply)

        def _send(self, reply: Reply) -> None:
            body = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
            data = body.encode()
            self.send_response(reply.status)
            kind = "text/html" if body.startswith("<") else "application/json;charset=UTF-8"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def _recorded_infos() -> dict[str, str]:
    cassette = yaml.safe_load(CASSETTE.read_text())
    return {
        urlsplit(i["request"]["uri"]).path: i["response"]["body"]["string"]
        for i in cassette["interactions"]
        if i["request"]["uri"].endswith("/exchangeInfo")
    }


@pytest.fixture
def venue() -> Iterator[Venue]:
    state = Venue(_recorded_infos())
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="loopback", daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _source(venue: Venue, sleeps: list[float], *, max_attempts: int = 5) -> CcxtSource:
    source = CcxtSource(
        "binance",
        ReplayClock(NOW),
        max_attempts=max_attempts,
        base_delay=BASE,
        max_delay=MAX,
        sleep=sleeps.append,
    )
    exchange = source.exchange
    exchange.timeout = TIMEOUT_MS
    for name, url in exchange.urls["api"].items():
        exchange.urls["api"][name] = venue.base_url + urlsplit(url).path
    return source


def _plain_wait_bounds(attempt: int) -> tuple[float, float]:
    low = BASE * 2 ** (attempt - 1)
    return low, low + BASE


def _assert_plain_backoff(sleeps: list[float]) -> None:
    for attempt, slept in enumerate(sleeps, start=1):
        low, high = _plain_wait_bounds(attempt)
        assert low - 1e-9 <= slept <= high + 1e-9, (attempt, slept, sleeps)


def _assert_hard_backoff(sleeps: list[float]) -> None:
    for attempt, slept in enumerate(sleeps, start=1):
        low, high = (BACKOFF_MULTIPLIER * b for b in _plain_wait_bounds(attempt))
        assert low - 1e-9 <= slept <= high + 1e-9, (attempt, slept, sleeps)


def _start_times(venue: Venue) -> list[int]:
    return [int(q["startTime"][0]) for q in venue.klines]


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(Reply(503, INTERNAL), id="503-internal-error"),
        pytest.param(Reply(502, GATEWAY_HTML), id="502-html-gateway"),
        pytest.param(RESET, id="connection-reset"),
        pytest.param(HANG, id="read-timeout"),
    ],
)
def test_transient_failure_is_retried_once_after_a_short_backoff_then_succeeds(
    venue: Venue, failure: Reply
) -> None:
    venue.script = [failure, OK]
    sleeps: list[float] = []

    frame = _source(venue, sleeps).fetch_raw("BTC/USDT", Timeframe.H1, SINCE, UNTIL)

    assert len(frame) == 2
    assert _start_times(venue) == [T0_MS, T0_MS]
    assert len(sleeps) == 1
    _assert_plain_backoff(sleeps)


def test_persistent_5xx_gives_up_after_max_attempts_with_the_count_in_the_error(
    venue: Venue,
) -> None:
    venue.script = [Reply(503, INTERNAL)] * 10
    sleeps: list[float] = []

    with pytest.raises(MarketDataUnavailable, match="gave up after 4 attempts") as caught:
        _source(venue, sleeps, max_attempts=4).fetch_raw("BTC/USDT", Timeframe.H1, SINCE, UNTIL)

    assert caught.value.attempts == 4
    assert isinstance(caught.value, Retryable)
    assert "binance fetch_ohlcv(BTC/USDT, 1h" in str(caught.value)
    assert len(venue.klines) == 4
    assert len(sleeps) == 3  # no pause after the last attempt
    _assert_plain_backoff(sleeps)
    assert sleeps[0] < sleeps[1] < sleeps[2]  # exponential: 0.01-0.02, 0.02-0.03, 0.04-0.05


def test_429_with_retry_after_waits_as_asked_then_succeeds(venue: Venue) -> None:
    venue.script = [Reply(429, TOO_MANY, (("Retry-After", "2"),)), OK]
    sleeps: list[float] = []

    frame = _source(venue, sleeps).fetch_raw("BTC/USDT", Timeframe.H1, SINCE, UNTIL)

    assert len(frame) == 2
    assert len(venue.klines) == 2
    assert sleeps == [2.0]  # Retry-After beats the (shorter) hard backoff


def test_429_without_retry_after_backs_off_longer_than_a_plain_retry(venue: Venue) -> None:
    venue.script = [Reply(429, TOO_MANY), Reply(429, TOO_MANY), OK]
    sleeps: list[float] = []

    frame = _source(venue, sleeps).fetch_raw("BTC/USDT", Timeframe.H1, SINCE, UNTIL)

    assert len(frame) == 2
    assert len(venue.klines) == 3
    assert len(sleeps) == 2
    _assert_hard_backoff(sleeps)


def test_persistent_rate_limit_gives_up_as_backoff_error_after_max_attempts(venue: Venue) -> None:
    venue.script = [Reply(429, TOO_MANY, (("Retry-After", "1"),))] * 5
    sleeps: list[float] = []

    with pytest.raises(MarketDataRateLimited, match="gave up after 3 attempts") as caught:
        _source(venue, sleeps, max_attempts=3).fetch_raw("BTC/USDT", Timeframe.H1, SINCE, UNTIL)

    assert isinstance(caught.value, BackOff)
    assert caught.value.retry_after == 1.0
    assert len(venue.klines) == 3
    assert sleeps == [1.0, 1.0]


def test_418_ban_with_long_retry_after_stops_at_once_and_reports_the_pause(venue: Venue) -> None:
    venue.script = [Reply(418, BANNED, (("Retry-After", "7200"),))]
    sleeps: list[float] = []

    with pytest.raises(MarketDataRateLimited, match="gave up after 1 attempt") as caught:
        _source(venue, sleeps).fetch_raw("BTC/USDT", Timeframe.H1, SINCE, UNTIL)

    assert isinstance(caught.value, BackOff)
    assert caught.value.retry_after == 7200.0
    assert "Retry-After 7200 s exceeds max_delay 5 s" in str(caught.value)
    assert len(venue.klines) == 1
    assert sleeps == []


def test_418_ban_without_retry_after_is_retried_with_hard_backoff(venue: Venue) -> None:
    venue.script = [Reply(418, BANNED), OK]
    sleeps: list[float] = []

    frame = _source(venue, sleeps).fetch_raw("BTC/USDT", Timeframe.H1, SINCE, UNTIL)

    assert len(frame) == 2
    assert len(venue.klines) == 2
    _assert_hard_backoff(sleeps)
    assert len(sleeps) == 1


def test_invalid_symbol_reply_is_not_retried_and_names_symbol_and_exchange(venue: Venue) -> None:
    venue.script = [Reply(400, {"code": -1121, "msg": "Invalid symbol."})]
    sleeps: list[float] = []

    with pytest.raises(UnknownMarketSymbol) as caught:
        _source(venue, sleeps).fetch_raw("BTC/USDT", Timeframe.H1, SINCE, UNTIL)

    assert "'BTC/USDT' is not listed on binance" in str(caught.value)
    assert not isinstance(caught.value, Retryable)
    assert len(venue.klines) == 1
    assert sleeps == []


def test_rejected_api_key_is_not_retried_and_is_a_config_error(venue: Venue) -> None:
    venue.script = [
        Reply(401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."})
    ]
    sleeps: list[float] = []

    with pytest.raises(MarketDataAuthFailed) as caught:
        _source(venue, sleeps).fetch_raw("BTC/USDT", Timeframe.H1, SINCE, UNTIL)

    assert isinstance(caught.value, ConfigError)
    assert not isinstance(caught.value, Retryable)
    assert len(venue.klines) == 1
    assert sleeps == []


def test_symbol_missing_from_markets_fails_before_any_klines_request(venue: Venue) -> None:
    sleeps: list[float] = []

    with pytest.raises(UnknownMarketSymbol, match="'DOGE/EUR' is not listed on binance"):
        _source(venue, sleeps).fetch_raw("DOGE/EUR", Timeframe.H1, SINCE, UNTIL)

    assert venue.klines == []
    assert sleeps == []


def test_retry_mid_pagination_resumes_at_the_failed_page(venue: Venue) -> None:
    first = [TWO_BARS[0]]
    second = [TWO_BARS[1]]
    venue.script = [Reply(body=first), Reply(503, INTERNAL), Reply(body=second)]
    sleeps: list[float] = []

    source = _source(venue, sleeps)
    frame = source.fetch_raw("BTC/USDT", Timeframe.H1, SINCE, UNTIL)

    assert len(frame) == 2
    assert _start_times(venue) == [T0_MS, T0_MS + HOUR_MS, T0_MS + HOUR_MS]
    assert len(sleeps) == 1
