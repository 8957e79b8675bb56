"""`quorum scan`: one multi-timeframe scan, printed as tables or JSON."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from apps.cli.options import parse_symbols, parse_time, parse_timeframes
from quorum.analysis.scan import ScanParams
from quorum.clock import Clock, ReplayClock, SystemClock
from quorum.domain import ScanResult, Timeframe
from quorum.errors import QuorumError
from quorum.market import open_source
from quorum.pipeline import ScanStage

console = Console()


def scan(
    symbols: str = typer.Option("BTC/USDT", help="Comma-separated ccxt symbols."),
    timeframes: str = typer.Option("15m,1h,4h,1d", help="Comma-separated timeframes."),
    data: str = typer.Option(
        "synthetic", help="synthetic[:SEED] | store | csv:PATH | parquet:PATH | ccxt:EXCHANGE"
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Scan time (ISO-8601 UTC). Default: now, or a file's last close."
    ),
    base: str = typer.Option("15m", help="Base timeframe the others are resampled from."),
    history: int = typer.Option(500, help="Closed bars per timeframe."),
    store: Path | None = typer.Option(None, help="Local Parquet store directory."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Scan symbols on several timeframes: indicators, patterns and regime."""
    symbol_list = parse_symbols(symbols)
    frames = parse_timeframes(timeframes)
    base_tf = parse_timeframes(base)[0]
    when = parse_time(as_of, "--as-of") if as_of else None
    clock: Clock = ReplayClock(when) if when else SystemClock()
    try:
        loader = open_source(data, clock=clock, store_root=store, base_timeframe=base_tf)
        if when is None and (data.startswith(("csv:", "parquet:", "store:")) or data == "store"):
            when = loader.latest_close(symbol_list[0], base_tf)
            clock = ReplayClock(when)
            loader = open_source(data, clock=clock, store_root=store, base_timeframe=base_tf)
        at = when or clock.now()
        stage = ScanStage(loader, base_tf, ScanParams(history_bars=history))
        results = [stage.scan(symbol, frames, at) for symbol in symbol_list]
    except (QuorumError, ValueError) as exc:
        console.print(f"[red]scan failed:[/red] {exc}")
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in results], indent=2))
        return
    for result in results:
        console.print(render_scan(result, at))


def render_scan(result: ScanResult, at: datetime) -> Table:
    table = Table(title=f"{result.symbol} at {at.isoformat()}")
    for column in ("tf", "bars", "close", "RSI", "ATR", "ADX", "regime", "patterns"):
        table.add_column(column)
    for item in result.timeframes:
        values = item.snapshot.values
        names = ", ".join(f"{p.name}({p.confidence:.2f})" for p in item.patterns) or "-"
        table.add_row(
            item.timeframe.value,
            str(item.bars),
            _fmt(values.get("close")),
            _fmt(values.get("rsi")),
            _fmt(values.get("atr")),
            _fmt(values.get("adx")),
            f"{item.regime.kind.value} {item.regime.strength:.2f}",
            names,
        )
    return table


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:,.4g}"


__all__ = ["Timeframe", "render_scan", "scan"]
