"""The paper exchange as its own process: a small JSON HTTP server on loopback.

``python -m quorum.execution.paper.server --port 0 [--ambiguous 0.3] [--recv-window 1]
[--query-lag 2] [--partial-fill-ratio 0.5]``
prints ``listening <port>`` once it serves. API (JSON; Decimals as strings):

=========================================  ==============================================
``POST /orders``                           submit; 200 order, 400 rejected, 409 duplicate
                                           client id, 503 unavailable (not accepted)
``GET /orders/client/<id>``                lookup by client id; 404 not found
``GET /orders/open[?symbol=]``             open orders
``DELETE /orders/client/<id>``             cancel; 404 when not open
``GET /trades?symbol=[&since=]``           executions
``GET /balance`` / ``GET /positions``      totals per asset / net positions
``POST /admin/quote``                      ``{symbol, bid, ask, last?}``
``POST /admin/outage``                     ``{down: bool}``
``POST /admin/faults``                     a FaultSettings object
``POST /admin/settings``                   PaperSettings fields to change (query lag…)
``GET /admin/stats``                       accepted submits per client id, counters
=========================================  ==============================================

An ambiguous reply (probability ``ambiguous_probability``) is given after the order was
accepted: ``timeout`` holds the connection past the client's timeout, ``502`` answers a
gateway error page, ``reset`` closes the connection with a TCP RST.
"""

from __future__ import annotations

import argparse
import json
import socket
import struct
import sys
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from quorum.clock import Clock, SystemClock
from quorum.domain import parse_time
from quorum.execution.errors import DuplicateClientOrderId, OrderNotFound, OrderRejected
from quorum.execution.paper.faults import Faults, FaultSettings
from quorum.execution.paper.loopback import LoopbackServer
from quorum.execution.paper.matching import PaperSettings, PaperVenue
from quorum.execution.paper.wire import (
    order_to_json,
    position_to_json,
    request_from_json,
    trade_to_json,
)

HANG_S = 3.0
"""How long a ``timeout`` reply holds the connection (longer than any client timeout)."""


class PaperServer(LoopbackServer):
    """A :class:`PaperVenue` served over HTTP on 127.0.0.1 (threaded)."""

    def __init__(
        self,
        venue: PaperVenue,
        faults: Faults | None = None,
        port: int = 0,
    ) -> None:
        self.venue = venue
        self.faults = faults or Faults()
        super().__init__(_handler(self), port)


def _handler(server: PaperServer) -> type[BaseHTTPRequestHandler]:
    venue, faults = server.venue, server.faults

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # headers and body go out in separate writes: without this, Nagle's algorithm
            # and the client's delayed ACK add ~40 ms to every reply
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            data = json.loads(raw or b"{}")
            if not isinstance(data, dict):
                raise ValueError("request body: expected a JSON object")
            return data

        def _route(self) -> tuple[list[str], dict[str, list[str]]]:
            url = urlsplit(self.path)
            return [unquote(p) for p in url.path.strip("/").split("/")], parse_qs(url.query)

        def _down(self, parts: list[str]) -> bool:
            if parts[0] != "admin" and faults.down:
                self._send(503, {"code": "unavailable", "msg": "venue outage; not processed"})
                return True
            return False

        def do_GET(self) -> None:
            parts, query = self._route()
            if self._down(parts):
                return
            symbol = query.get("symbol", [None])[0]
            if parts[:2] == ["orders", "client"] and len(parts) == 3:
                try:
                    self._send(200, order_to_json(venue.fetch_by_client_id(parts[2])))
                except OrderNotFound as exc:
                    self._send(404, {"code": "not_found", "msg": str(exc)})
            elif parts == ["orders", "open"]:
                self._send(200, [order_to_json(o) for o in venue.open_orders(symbol)])
            elif parts == ["trades"]:
                since = query.get("since", [None])[0]
                trades = venue.trades(symbol, None if since is None else parse_time(since))
                self._send(200, [trade_to_json(t) for t in trades])
            elif parts == ["balance"]:
                self._send(200, {k: str(v) for k, v in venue.balances().items()})
            elif parts == ["positions"]:
                self._send(200, [position_to_json(p) for p in venue.positions()])
            elif parts == ["admin", "stats"]:
                stats = venue.stats
                self._send(
                    200,
                    {
                        "accepted": dict(stats.accepted),
                        "submits": stats.submits,
                        "duplicates_refused": stats.duplicates_refused,
                        "late_refused": stats.late_refused,
                        "ambiguous_replies": faults.ambiguous_replies,
                    },
                )
            else:
                self._send(404, {"code": "no_route", "msg": self.path})

        def do_DELETE(self) -> None:
            parts, _ = self._route()
            if self._down(parts):
                return
            if parts[:2] == ["orders", "client"] and len(parts) == 3:
                try:
                    self._send(200, order_to_json(venue.cancel(parts[2])))
                except OrderNotFound as exc:
                    self._send(404, {"code": "not_found", "msg": str(exc)})
            else:
                self._send(404, {"code": "no_route", "msg": self.path})

        def do_POST(self) -> None:
            parts, _ = self._route()
            body = self._body()
            if self._down(parts):
                return
            if parts == ["orders"]:
                self._submit(body)
            elif parts == ["admin", "quote"]:
                last = body.get("last")
                venue.set_quote(
                    str(body["symbol"]),
                    Decimal(str(body["bid"])),
                    Decimal(str(body["ask"])),
                    None if last is None else Decimal(str(last)),
                )
                self._send(200, {"ok": True})
            elif parts == ["admin", "outage"]:
                faults.set_down(bool(body["down"]))
                self._send(200, {"ok": True})
            elif parts == ["admin", "faults"]:
                faults.configure(FaultSettings.model_validate(body))
                self._send(200, {"ok": True})
            elif parts == ["admin", "settings"]:
                merged = {**venue.settings.model_dump(), **body}
                venue.settings = PaperSettings.model_validate(merged)
                self._send(200, {"ok": True})
            else:
                self._send(404, {"code": "no_route", "msg": self.path})

        def _submit(self, body: dict[str, Any]) -> None:
            latency = faults.settings.latency_s
            if latency:
                server.release.wait(latency)
            try:
                order = venue.submit(request_from_json(body))
            except DuplicateClientOrderId as exc:
                self._send(409, {"code": "duplicate", "msg": str(exc)})
                return
            except OrderRejected as exc:
                self._send(400, {"code": "rejected", "msg": str(exc)})
                return
            kind = faults.ambiguous()
            if kind == "timeout":
                server.release.wait(HANG_S)
                self.close_connection = True
            elif kind == "reset":
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
            elif kind == "502":
                self._send(502, "<html><body>502 Bad Gateway</body></html>", "text/html")
            else:
                self._send(200, order_to_json(order))

    return Handler


def main(argv: list[str] | None = None, clock: Clock | None = None) -> int:
    """Serve one paper venue over loopback HTTP (``--protocol``: this module's JSON API, or
    Binance spot's REST API); prints ``listening PORT``."""
    parser = argparse.ArgumentParser(prog="python -m quorum.execution.paper.server")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ambiguous", type=float, default=0.0)
    parser.add_argument("--recv-window", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before a submit")
    parser.add_argument("--quote", action="append", default=[], help="SYMBOL:BID:ASK")
    parser.add_argument("--query-lag", type=float, default=0.0, help="seconds before a lookup")
    parser.add_argument("--partial-fill-ratio", type=Decimal, default=Decimal(1))
    parser.add_argument(
        "--protocol",
        choices=("json", "binance"),
        default="json",
        help="json: this module's API; binance: Binance spot REST (the Binance simulator)",
    )
    parser.add_argument("--api-key", default="quorum-sim", help="binance: the accepted key")
    parser.add_argument("--secret", default="quorum-sim-secret", help="binance: HMAC secret")
    parser.add_argument("--min-notional", type=Decimal, default=Decimal(5), help="binance")
    parser.add_argument("--weight-limit", type=int, default=6000, help="binance: per minute")
    args = parser.parse_args(argv)
    settings = PaperSettings(
        recv_window_s=args.recv_window,
        seed=args.seed,
        query_lag_s=args.query_lag,
        partial_fill_ratio=args.partial_fill_ratio,
    )
    venue_clock = clock or SystemClock()
    venue = PaperVenue(venue_clock, settings)
    for spec in args.quote:
        symbol, bid, ask = spec.rsplit(":", 2)
        venue.set_quote(symbol, Decimal(bid), Decimal(ask))
    faults = Faults(
        FaultSettings(ambiguous_probability=args.ambiguous, latency_s=args.latency, seed=args.seed)
    )
    server: LoopbackServer
    if args.protocol == "binance":
        from quorum.execution.paper.binance import BinanceSimulator, MarketSpec

        specs = [
            MarketSpec(q.rsplit(":", 2)[0], min_notional=args.min_notional) for q in args.quote
        ]
        server = BinanceSimulator(
            venue,
            specs,
            clock=venue_clock,
            api_key=args.api_key,
            secret=args.secret,
            faults=faults,
            weight_limit=args.weight_limit,
            port=args.port,
        )
    else:
        server = PaperServer(venue, faults, port=args.port)
    sys.stdout.write(f"listening {server.httpd.server_address[1]}\n")
    sys.stdout.flush()
    try:
        server.httpd.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
