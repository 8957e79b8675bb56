"""The paper venue as its own process, behind Binance spot's REST protocol.

``python -m quorum.execution.paper.server --port 0 [--quote BTC/USDT:99.5:100.5]
[--recv-window 1] [--query-lag 2] [--partial-fill-ratio 0.5] [--ambiguous 0.3]
[--latency 0.002] [--min-notional 0] [--weight-limit 6000]`` prints ``listening <port>``
once it serves :class:`~quorum.execution.paper.binance.BinanceSimulator` on 127.0.0.1:
the paper matching engine, reached through ccxt's ``binance`` class like a real venue
(:mod:`quorum.execution.paper.binance.connect`). The admin endpoints (``/admin/quote``,
``/admin/settings``, ``/admin/faults``, ``/admin/outage``, ``/admin/stats``,
``/admin/positions`` …) are the simulator's. It is the process the chaos tests fork;
``quorum venue serve`` serves the same simulator over a synthetic market's klines.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal

from quorum.clock import Clock, SystemClock
from quorum.execution.paper.binance import SIM_API_KEY, SIM_SECRET, BinanceSimulator, MarketSpec
from quorum.execution.paper.faults import Faults, FaultSettings
from quorum.execution.paper.matching import PaperSettings, PaperVenue


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m quorum.execution.paper.server")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ambiguous", type=float, default=0.0)
    parser.add_argument("--recv-window", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before a submit")
    parser.add_argument("--quote", action="append", default=[], help="SYMBOL:BID:ASK")
    parser.add_argument("--query-lag", type=float, default=0.0, help="seconds before a lookup")
    parser.add_argument("--partial-fill-ratio", type=Decimal, default=Decimal(1))
    parser.add_argument("--api-key", default=SIM_API_KEY, help="the accepted API key")
    parser.add_argument("--secret", default=SIM_SECRET, help="the HMAC secret it verifies")
    parser.add_argument("--min-notional", type=Decimal, default=Decimal(5))
    parser.add_argument("--weight-limit", type=int, default=6000, help="request weight/minute")
    return parser


def main(argv: list[str] | None = None, clock: Clock | None = None) -> int:
    """Serve one paper venue behind Binance's protocol on loopback; prints ``listening PORT``."""
    args = _parser().parse_args(argv)
    settings = PaperSettings(
        recv_window_s=args.recv_window,
        seed=args.seed,
        query_lag_s=args.query_lag,
        partial_fill_ratio=args.partial_fill_ratio,
    )
    venue_clock = clock or SystemClock()
    venue = PaperVenue(venue_clock, settings)
    quotes = [spec.rsplit(":", 2) for spec in args.quote]
    for symbol, bid, ask in quotes:
        venue.set_quote(symbol, Decimal(bid), Decimal(ask))
    faults = Faults(
        FaultSettings(ambiguous_probability=args.ambiguous, latency_s=args.latency, seed=args.seed)
    )
    server = BinanceSimulator(
        venue,
        [MarketSpec(symbol, min_notional=args.min_notional) for symbol, _, _ in quotes],
        clock=venue_clock,
        api_key=args.api_key,
        secret=args.secret,
        faults=faults,
        weight_limit=args.weight_limit,
        port=args.port,
    )
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
