"""HTTP plumbing of the Binance simulator: one handler, routes to :class:`BinanceSimulator`."""

from __future__ import annotations

import json
import socket
import struct
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from quorum.execution.paper.binance.protocol import BinanceError, exchange_info, ms
from quorum.ports import BrokerPosition

if TYPE_CHECKING:
    from quorum.execution.paper.binance.server import BinanceSimulator

HANG_S = 3.0
"""How long a ``timeout`` reply holds the connection (longer than any client timeout)."""
API = "/api/v3/"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sim: ClassVar[BinanceSimulator]

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(
        self,
        status: int,
        body: Any,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-MBX-USED-WEIGHT-1M", str(self.sim.used_weight()))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, exc: BinanceError) -> None:
        retry = getattr(exc, "retry_after", None)
        headers = {} if retry is None else {"Retry-After": str(retry)}
        self._send(exc.status, exc.body(), headers=headers)

    def _payload(self) -> tuple[str, str]:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        return url.path, body or url.query

    def _serve(self, method: str) -> None:
        path, payload = self._payload()
        sim = self.sim
        try:
            if path.startswith("/admin/"):
                body = json.loads(payload or "{}") if method == "POST" else {}
                if method == "GET" and path == "/admin/stats":
                    self._send(200, _stats(sim))
                elif method == "GET" and path == "/admin/positions":
                    self._send(200, [_position(p) for p in sim.venue.positions()])
                else:
                    self._send(200, sim.admin(path.removeprefix("/admin/"), body))
                return
            if sim.faults.down:
                self._send(503, "<html><body>503 Service Unavailable</body></html>", "text/html")
                return
            if not path.startswith(API):
                raise BinanceError(404, -1000, f"no route {path}")
            endpoint = path.removeprefix(API)
            sim.charge(endpoint)
            if (method, endpoint) in _PUBLIC:
                params = dict(parse_qsl(payload, keep_blank_values=True))
                self._send(200, _PUBLIC[(method, endpoint)](sim, params))
            elif (method, endpoint) in _SIGNED:
                params = sim.signed(payload, self.headers.get("X-MBX-APIKEY"))
                self._send(200, _SIGNED[(method, endpoint)](sim, params))
            elif (method, endpoint) == ("POST", "order"):
                params = sim.signed(payload, self.headers.get("X-MBX-APIKEY"))
                self._submit(params)
            else:
                raise BinanceError(404, -1000, f"no route {method} {path}")
        except BinanceError as exc:
            self._error(exc)

    def _submit(self, params: dict[str, str]) -> None:
        sim = self.sim
        latency = sim.faults.settings.latency_s
        if latency:
            sim.release.wait(latency)
        body, _ = sim.submit(params)
        kind = sim.faults.ambiguous()
        if kind == "timeout":
            sim.release.wait(HANG_S)
            self.close_connection = True
        elif kind == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
        elif kind == "502":
            self._send(502, "<html><body>502 Bad Gateway</body></html>", "text/html")
        else:
            self._send(200, body)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")


def _position(position: BrokerPosition) -> dict[str, Any]:
    entry = position.average_entry
    return {
        "symbol": position.symbol,
        "quantity": str(position.quantity),
        "average_entry": None if entry is None else str(entry),
    }


def _stats(sim: BinanceSimulator) -> dict[str, Any]:
    venue = sim.venue.stats
    return {
        "requests": sim.stats.requests,
        "rate_limited": sim.stats.rate_limited,
        "accepted": dict(sim.stats.orders),
        "submits": venue.submits,
        "duplicates_refused": venue.duplicates_refused,
        "late_refused": venue.late_refused,
        "ambiguous_replies": sim.faults.ambiguous_replies,
    }


Route = Callable[["BinanceSimulator", dict[str, str]], Any]

_PUBLIC: dict[tuple[str, str], Route] = {
    ("GET", "ping"): lambda sim, _p: {},
    ("GET", "time"): lambda sim, _p: {"serverTime": ms(sim.clock.now())},
    ("GET", "exchangeInfo"): lambda sim, _p: exchange_info(
        list(sim.markets.values()), ms(sim.clock.now())
    ),
    ("GET", "klines"): lambda sim, p: sim.kline_rows(p),
    ("GET", "ticker/bookTicker"): lambda sim, p: sim.book_ticker(p),
}
_SIGNED: dict[tuple[str, str], Route] = {
    ("GET", "order"): lambda sim, p: sim.lookup(p),
    ("DELETE", "order"): lambda sim, p: sim.cancel(p),
    ("GET", "openOrders"): lambda sim, p: sim.open_orders(p),
    ("GET", "myTrades"): lambda sim, p: sim.my_trades(p),
    ("GET", "account"): lambda sim, _p: sim.account(),
}
