"""CcxtBroker against a scripted Binance on 127.0.0.1: our client id as newClientOrderId,
precision from the venue's exchangeInfo, the ambiguous timeout resolved by
origClientOrderId, and -2013 "Order does not exist" → resend with the same id.

Binance's exchangeInfo bodies come from the recorded cassette used by the market tests.
"""

from __future__ import annotations

import decimal
import json
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import ccxt
import pytest
import yaml
from tests.unit.execution.execution_kit import T0, approve, intent_at

from quorum.ccxt_adapter.errors import translate_order_error
from quorum.clock import ReplayClock
from quorum.domain import OrderState, OrderType, Side
from quorum.errors import BrokerAuthFailed, BrokerError, BrokerTransient, OrderStatusUnknown
from quorum.execution import (
    DuplicateClientOrderId,
    ExecutionService,
    ExecutionSettings,
    OrderNotFound,
    OrderRejected,
    VenueRateLimited,
)
from quorum.execution.ccxt_broker import CcxtBroker
from quorum.journal import Journal
from quorum.ports import OrderRequest
from quorum.store import create_engine_for, migrate, session_factory, session_scope
from quorum.testing import make_order_intent

CASSETTE = (
    Path(__file__).resolve().parents[2]
    / "cassettes"
    / "ccxt"
    / "binance_btcusdt_1h_single_page.yaml"
)
TIMEOUT_MS = 400


@dataclass
class Binance:
    infos: dict[str, str]
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: list[dict[str, str]] = field(default_factory=list)
    script: list[str] = field(default_factory=list)  # per POST: "ok" | "hang" | "reset-before"
    release: threading.Event = field(default_factory=threading.Event)
    base_url: str = ""

    def order_json(self, order: dict[str, Any]) -> dict[str, Any]:
        return {
            "symbol": "BTCUSDT",
            "orderId": order["orderId"],
            "orderListId": -1,
            "clientOrderId": order["clientOrderId"],
            "price": order.get("price", "0.00000000"),
            "origQty": order["origQty"],
            "executedQty": order["executedQty"],
            "cummulativeQuoteQty": order["cummulativeQuoteQty"],
            "status": order["status"],
            "timeInForce": "GTC",
            "type": order["type"],
            "side": order["side"],
            "time": 1704067200000,
            "updateTime": 1704067200000,
            "transactTime": 1704067200000,
        }


def _handler(venue: Binance) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any) -> None:
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _params(self) -> dict[str, str]:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            merged = {**parse_qs(url.query), **parse_qs(body)}
            return {k: v[0] for k, v in merged.items()}

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            params = self._params()
            if path in venue.infos:
                self._send(200, venue.infos[path])
            elif path == "/api/v3/order":
                order = venue.orders.get(params.get("origClientOrderId", ""))
                if order is None:
                    self._send(400, {"code": -2013, "msg": "Order does not exist."})
                else:
                    self._send(200, venue.order_json(order))
            elif path == "/api/v3/openOrders":
                self._send(
                    200,
                    [venue.order_json(o) for o in venue.orders.values() if o["status"] == "NEW"],
                )
            elif (
                path.startswith("/sapi/") or path == "/api/v3/myTrades"
            ):  # currencies and margin pairs: none
                self._send(200, [])
            elif path == "/api/v3/account":
                self._send(200, {"balances": [{"asset": "USDT", "free": "1000", "locked": "0"}]})
            else:
                self._send(404, {"code": -1, "msg": f"unscripted {path}"})

        def do_POST(self) -> None:
            params = self._params()
            venue.posts.append(params)
            action = venue.script.pop(0) if venue.script else "ok"
            if action == "reset-before":
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                return
            cid = params["newClientOrderId"]
            if cid in venue.orders and venue.orders[cid]["status"] == "NEW":
                self._send(400, {"code": -2010, "msg": "Duplicate order sent."})
                return
            qty = params["quantity"]
            order = {
                "orderId": len(venue.orders) + 1,
                "clientOrderId": cid,
                "origQty": qty,
                "executedQty": qty,
                "cummulativeQuoteQty": str(Decimal(qty) * 100),
                "status": "FILLED",
                "type": params["type"],
                "side": params["side"],
            }
            venue.orders[cid] = order
            if action == "hang":
                venue.release.wait(3 * TIMEOUT_MS / 1000)
                self.close_connection = True
                return
            self._send(200, venue.order_json(order))

    return Handler


@pytest.fixture
def binance(allow_loopback_orders: None) -> Iterator[Binance]:
    cassette = yaml.safe_load(CASSETTE.read_text())
    infos = {
        urlsplit(i["request"]["uri"]).path: i["response"]["body"]["string"]
        for i in cassette["interactions"]
        if i["request"]["uri"].endswith("/exchangeInfo")
    }
    venue = Binance(infos)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(venue))
    server.daemon_threads = True
    venue.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield venue
    finally:
        venue.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _broker(venue: Binance, clock: ReplayClock) -> CcxtBroker:
    credentials = {"apiKey": "test-key", "secret": "test-secret"}  # pragma: allowlist secret
    exchange = ccxt.binance({**credentials, "enableRateLimit": False})
    exchange.timeout = TIMEOUT_MS
    for name, url in exchange.urls["api"].items():
        if isinstance(url, str):
            exchange.urls["api"][name] = venue.base_url + urlsplit(url).path
    return CcxtBroker("binance", clock, exchange=exchange, recv_window_s=1.0)


def _request(quantity: str, price: str | None = None) -> OrderRequest:
    return OrderRequest(
        client_order_id="q" + "a" * 31,
        symbol="BTC/USDT",
        side=Side.BUY,
        order_type=OrderType.LIMIT if price else OrderType.MARKET,
        quantity=Decimal(quantity),
        price=None if price is None else Decimal(price),
        sent_at=T0,
    )


def test_submit_sends_our_client_id_and_the_venues_precision_as_strings(binance: Binance) -> None:
    broker = _broker(binance, ReplayClock(T0))

    order = broker.submit(_request("0.123456789", "42000.123"))

    sent = binance.posts[0]
    assert sent["newClientOrderId"] == "q" + "a" * 31
    assert sent["quantity"] == "0.12345"  # truncated to the 0.00001 step from exchangeInfo
    assert sent["price"] == "42000.12"  # rounded to the 0.01 tick
    assert order.status == "closed"
    assert order.filled == Decimal("0.12345")


def test_ccxt_precision_calls_leave_the_threads_decimal_context_alone(binance: Binance) -> None:
    """ccxt's decimal_to_precision sets rounding HALF_UP and traps Underflow on the
    thread's context; the risk engine's money math on the same thread must not change."""
    before = decimal.getcontext().copy()
    broker = _broker(binance, ReplayClock(T0))

    broker.submit(_request("0.123456789", "42000.123"))

    after = decimal.getcontext()
    assert after.rounding == before.rounding == decimal.ROUND_HALF_EVEN
    assert after.traps[decimal.Underflow] == before.traps[decimal.Underflow]
    assert Decimal("2.5").quantize(Decimal("1")) == Decimal("2")  # banker's rounding holds


def _service(
    tmp_path: Path, broker: CcxtBroker, clock: ReplayClock
) -> tuple[ExecutionService, Any]:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'x.db'}", sqlite_synchronous="OFF")
    migrate(engine)
    service = ExecutionService(
        session_factory(engine),
        Journal(engine, clock),
        clock,
        {"live": broker},
        settings=ExecutionSettings(resolve_spacing_s=0.01),
        mode=lambda: "live",
        sleep=lambda s: clock.advance(timedelta(seconds=s)),
    )
    service.reconcile(startup=True)
    return service, engine


def _store(service: ExecutionService, engine: Any) -> str:
    intent = make_order_intent(**intent_at(1), quantity=Decimal("0.01"))
    with session_scope(engine) as session:
        outcome = service.store_intent(session, intent, approve(intent))
    assert outcome.order is not None
    return outcome.order.client_order_id


def test_an_ambiguous_timeout_is_resolved_by_orig_client_order_id_without_a_resend(
    binance: Binance, tmp_path: Path
) -> None:
    clock = ReplayClock(T0)
    service, engine = _service(tmp_path, _broker(binance, clock), clock)
    cid = _store(service, engine)
    binance.script = ["hang"]

    done = service.execute(cid)

    assert done.state is OrderState.FILLED
    assert [p["newClientOrderId"] for p in binance.posts] == [cid]


def test_order_does_not_exist_after_the_window_leads_to_a_resend_with_the_same_id(
    binance: Binance, tmp_path: Path
) -> None:
    clock = ReplayClock(T0)
    service, engine = _service(tmp_path, _broker(binance, clock), clock)
    cid = _store(service, engine)
    binance.script = ["reset-before"]

    first = service.execute(cid)
    clock.advance(timedelta(seconds=2))
    early = service.execute(cid)  # window passed, binance's lookup lag (10 s) not yet
    clock.advance(timedelta(seconds=10))
    done = service.execute(cid)

    assert first.state is OrderState.UNKNOWN
    assert early.state is OrderState.UNKNOWN
    assert done.state is OrderState.FILLED
    assert [p["newClientOrderId"] for p in binance.posts] == [cid, cid]
    signed = {p.get("timestamp") for p in binance.posts}
    assert None not in signed, "binance requests are signed with our sent_at"
    assert len(binance.orders) == 1


@pytest.mark.parametrize(
    ("error", "submit", "expected"),
    [
        (ccxt.RequestTimeout("t"), True, OrderStatusUnknown),
        (ccxt.RequestTimeout("t"), False, BrokerTransient),
        (ccxt.ExchangeNotAvailable("502"), True, OrderStatusUnknown),
        (ccxt.BadResponse("-1007 status unknown"), True, OrderStatusUnknown),
        (ccxt.DuplicateOrderId("dup"), True, DuplicateClientOrderId),
        (
            ccxt.InvalidOrder('binance {"code":-2010,"msg":"Duplicate order sent."}'),
            True,
            DuplicateClientOrderId,
        ),
        (ccxt.OrderNotFound("-2013"), False, OrderNotFound),
        (ccxt.InsufficientFunds("funds"), True, OrderRejected),
        (ccxt.InvalidOrder("LOT_SIZE"), True, OrderRejected),
        (ccxt.RateLimitExceeded("429"), True, VenueRateLimited),
        (ccxt.AuthenticationError("-2015"), True, BrokerAuthFailed),
        (ccxt.ExchangeError("-1001 internal"), True, OrderStatusUnknown),
        (ccxt.ExchangeError("?"), False, BrokerError),
    ],
)
def test_ccxt_errors_translate_by_class_and_by_whether_an_order_was_placed(
    error: Exception, submit: bool, expected: type[Exception]
) -> None:
    translated = translate_order_error(
        error, context="binance submit(q1)", submit=submit, retry_after=1.5
    )

    assert type(translated) is expected
    assert str(translated).startswith("binance submit(q1): ")
    if expected is VenueRateLimited:
        assert translated.retry_after == 1.5  # type: ignore[attr-defined]
