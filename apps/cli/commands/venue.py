"""`quorum venue serve`: a local exchange speaking a real venue's REST protocol.

``quorum venue serve --protocol binance --port 0`` serves Binance spot's REST API on
127.0.0.1 (backed by the paper matching engine), prints its URL, and keeps every symbol's
quote at the last closed bar of the synthetic market (its klines are the same bars); with
``--follow-client-time`` it lives at the time its clients sign with instead (a live run
replayed over history: every signed request moves its clock forward and feeds it the bars
closed by then, see :mod:`quorum.execution.paper.binance.replay`). Point
ccxt's ``binance`` class at it (``quorum.execution.paper.binance.connect``). It is the one
venue simulator reachable over HTTP; ``binance`` is its only protocol (the flag stays so a
second venue's protocol can be added without changing the command).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

import typer

from quorum.clock import Clock, ReplayClock, SystemClock
from quorum.domain import Bar, BarFrame, Timeframe
from quorum.execution import PaperVenue
from quorum.execution.paper.binance import (
    SIM_API_KEY,
    SIM_SECRET,
    BinanceSimulator,
    KlineSource,
    MarketSpec,
)
from quorum.execution.paper.binance.replay import ClientTime
from quorum.execution.paper.faults import Faults, FaultSettings
from quorum.execution.paper.model import PaperSettings
from quorum.market.synthetic import SyntheticSource

REPLAY_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)
"""Where a ``--follow-client-time`` simulator's clock starts: before any client's time,
so the first signed request sets it."""

app = typer.Typer(help="Local exchanges that speak a real venue's protocol.")


def synthetic_klines(seed: int) -> tuple[SyntheticSource, KlineSource]:
    source = SyntheticSource(seed)

    def klines(symbol: str, interval: str, start: datetime, end: datetime) -> list[Bar]:
        timeframe = Timeframe(interval)
        raw = source.fetch_raw(symbol, timeframe, start, end)
        return BarFrame(symbol, timeframe, raw).bars()

    return source, klines


def feed_last_closed(venue: PaperVenue, source: SyntheticSource, symbols: list[str]) -> None:
    """Each symbol's last closed base bar becomes its quote (and matches resting orders)."""
    base = source.base_timeframe
    now = SystemClock().now()
    opened = base.floor(now) - base.delta
    for symbol in symbols:
        raw = source.fetch_raw(symbol, base, opened, opened + base.delta)
        for bar in BarFrame(symbol, base, raw).bars():
            venue.on_bar(symbol, bar.open, bar.high, bar.low, bar.close, ts=bar.ts)


@app.command("serve")
def serve(
    protocol: str = typer.Option("binance", help="The venue protocol (binance: spot REST)."),
    port: int = typer.Option(0, help="Port on 127.0.0.1 (0: any free port)."),
    symbols: str = typer.Option("BTC/USDT,ETH/USDT", help="Comma-separated BASE/QUOTE."),
    seed: int = typer.Option(7, help="Seed of the synthetic market behind the klines."),
    api_key: str = typer.Option(SIM_API_KEY, help="The API key the simulator accepts."),
    secret: str = typer.Option(
        SIM_SECRET, help="The HMAC secret it verifies (a local test credential)."
    ),
    recv_window: float = typer.Option(5.0, help="Receive window cap in seconds."),
    lookup_lag: float = typer.Option(0.0, help="Seconds before a new order is visible."),
    ambiguous: float = typer.Option(0.0, help="Probability of an ambiguous submit reply."),
    quote_balance: str = typer.Option("100000", help="Starting balance of the quote asset."),
    follow_client_time: bool = typer.Option(
        False,
        "--follow-client-time",
        help="Live at the clients' signed time (a replayed live run): each signed request "
        "moves the clock forward to its timestamp and feeds the base bars closed by then.",
    ),
) -> None:
    """Serve a local exchange; prints ``listening <url>`` and runs until interrupted."""
    if protocol != "binance":
        raise typer.BadParameter(f"{protocol!r}: expected 'binance'", param_hint="--protocol")
    names = [s.strip() for s in symbols.split(",") if s.strip()]
    specs = [MarketSpec(name) for name in names]
    quotes = {spec.quote for spec in specs}
    clock: Clock = ReplayClock(REPLAY_ORIGIN) if follow_client_time else SystemClock()
    settings = PaperSettings(
        recv_window_s=recv_window,
        query_lag_s=lookup_lag,
        amount_step=Decimal("0.00001"),
        initial_balances={q: Decimal(quote_balance) for q in quotes},
        seed=seed,
    )
    venue = PaperVenue(clock, settings)
    source, klines = synthetic_klines(seed)
    client_time = None
    if isinstance(clock, ReplayClock):
        client_time = ClientTime(clock, venue, klines, names, source.base_timeframe)
    else:
        feed_last_closed(venue, source, names)
    faults = Faults(FaultSettings(ambiguous_probability=ambiguous, seed=seed))
    sim = BinanceSimulator(
        venue,
        specs,
        clock=clock,
        api_key=api_key,
        secret=secret,
        klines=klines,
        faults=faults,
        port=port,
        client_time=client_time,
    ).start()
    typer.echo(f"listening {sim.url}")
    try:
        while True:
            time.sleep(1.0)
            if client_time is None:  # replayed: the clients' requests feed the bars
                feed_last_closed(venue, source, names)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
