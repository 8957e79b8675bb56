"""`quorum run`: the main job on embedded defaults.

Today the pipeline's scan stage exists, so the job replays it over synthetic data
exactly as the beat schedule would drive it live, and reports what really ran.
"""

from __future__ import annotations

import json
import statistics
import time

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from apps.cli.options import parse_symbols, parse_time, parse_timeframes
from quorum.analysis.scan import ScanParams
from quorum.clock import ReplayClock
from quorum.domain import Timeframe
from quorum.errors import QuorumError
from quorum.market import open_source
from quorum.pipeline import ScanStage
from quorum.pipeline.replay import ScanReplaySummary, replay_scans

console = Console()


def run(
    symbols: str = typer.Option("BTC/USDT,ETH/USDT,SOL/USDT", help="Comma-separated symbols."),
    timeframes: str = typer.Option("15m,1h,4h,1d", help="Comma-separated timeframes."),
    data: str = typer.Option("synthetic", help="synthetic[:SEED] | store | csv:PATH"),
    start: str = typer.Option("2025-01-01T00:00:00Z", help="Replay start (ISO-8601 UTC)."),
    steps: int = typer.Option(96, min=1, help="Base bars to replay (96 × 15m = one day)."),
    base: str = typer.Option("15m", help="Base timeframe."),
    history: int = typer.Option(500, help="Closed bars per timeframe in each scan."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Run the pipeline end to end on embedded defaults (offline, replayed at high speed)."""
    symbol_list = parse_symbols(symbols)
    frames = parse_timeframes(timeframes)
    base_tf = parse_timeframes(base)[0]
    clock = ReplayClock(base_tf.floor(parse_time(start, "--start")))
    began = time.perf_counter()
    try:
        loader = open_source(data, clock=clock, base_timeframe=base_tf)
        stage = ScanStage(loader, base_tf, ScanParams(history_bars=history))
        with Progress(
            TextColumn("[bold]replay[/bold] {task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} bars"),
            TimeElapsedColumn(),
            console=console,
            disable=as_json,
        ) as progress:
            task = progress.add_task(", ".join(symbol_list), total=steps)
            summary = replay_scans(
                stage,
                clock,
                symbol_list,
                frames,
                base_tf,
                steps,
                timer=time.perf_counter,
                on_step=lambda done: progress.update(task, completed=done),
            )
    except QuorumError as exc:
        console.print(f"[red]run failed:[/red] {exc}")
        raise typer.Exit(1) from None
    wall = time.perf_counter() - began
    if as_json:
        typer.echo(json.dumps({**summary.as_dict(), "wall_s": round(wall, 3)}, indent=2))
        return
    _print_summary(summary, wall)


def _print_summary(summary: ScanReplaySummary, wall: float) -> None:
    console.print(
        f"\n[bold]Replayed[/bold] {summary.steps} base bars × {len(summary.symbols)} symbols "
        f"({summary.start.isoformat()} → {summary.end.isoformat()}) in {wall:.1f}s"
    )
    console.print("Stages run: scan (load → quality gates → align → indicators, patterns, regime)")
    scans = Table(title="Scans per timeframe")
    scans.add_column("timeframe")
    scans.add_column("scans", justify="right")
    scans.add_column("regimes (bull/bear/sideways)")
    for tf, count in sorted(summary.scans.items(), key=lambda kv: Timeframe(kv[0]).seconds):
        kinds = "/".join(
            str(summary.regimes.get(f"{tf}:{k}", 0)) for k in ("bull", "bear", "sideways")
        )
        scans.add_row(tf, str(count), kinds)
    console.print(scans)
    patterns = Table(title="Pattern hits")
    patterns.add_column("family:name")
    patterns.add_column("hits", justify="right")
    for name, count in summary.patterns.most_common():
        patterns.add_row(name, str(count))
    console.print(patterns)
    if summary.scan_seconds:
        ordered = sorted(summary.scan_seconds)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        console.print(
            f"Scan calls: {len(ordered)}, median {statistics.median(ordered) * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms"
        )
