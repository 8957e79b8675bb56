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

from apps.bootstrap import Runtime, build_runtime
from apps.cli.options import parse_symbols, parse_time, parse_timeframes
from quorum.analysis.scan import ScanParams
from quorum.clock import ReplayClock
from quorum.domain import JournalKind, Timeframe
from quorum.errors import QuorumError
from quorum.journal import VerifyReport
from quorum.market import open_source
from quorum.pipeline import ScanStage, StageJournal
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
    """The main job on embedded defaults: replay the scan stage offline, journaled and verified."""
    symbol_list = parse_symbols(symbols)
    frames = parse_timeframes(timeframes)
    base_tf = parse_timeframes(base)[0]
    clock = ReplayClock(base_tf.floor(parse_time(start, "--start")))
    began = time.perf_counter()
    try:
        # The journal records when things were written (system clock); the replayed
        # pipeline runs on market time (the replay clock). Mixing them would make a
        # second replay's checkpoints look older than the first's.
        runtime = build_runtime()
    except QuorumError as exc:
        console.print(f"[red]start-up refused:[/red] {exc}")
        raise typer.Exit(1) from None
    try:
        summary, journal, report = _replay(
            runtime, clock, data, symbol_list, frames, base_tf, steps, history, as_json
        )
    except QuorumError as exc:
        console.print(f"[red]run failed:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        runtime.close()
    wall = time.perf_counter() - began
    result = {
        **summary.as_dict(),
        "run_id": journal.run_id,
        "journal": {
            "appended": journal.appended,
            "verified": report.ok,
            "entries": report.count,
            "head": report.head_hash,
            "checkpoints_checked": report.checkpoints_checked,
            "detail": report.detail,
        },
        "wall_s": round(wall, 3),
    }
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        _print_summary(summary, wall)
        _print_journal(journal, report, runtime)
    if not report.ok:
        raise typer.Exit(1)


def _replay(
    runtime: Runtime,
    clock: ReplayClock,
    data: str,
    symbols: list[str],
    frames: list[Timeframe],
    base: Timeframe,
    steps: int,
    history: int,
    quiet: bool,
) -> tuple[ScanReplaySummary, StageJournal, VerifyReport]:
    head = runtime.journal.head()
    run_id = f"run-{clock.now():%Y%m%dT%H%M%SZ}-{head.size + 1}"
    journal = StageJournal(runtime.journal, runtime.engine, run_id, actor="quorum run")
    params = {
        "symbols": symbols,
        "timeframes": [tf.value for tf in frames],
        "data": data,
        "base": base.value,
        "steps": steps,
        "history_bars": history,
        "start": clock.now().isoformat(),
        "trading_mode": runtime.settings.trading.mode,
    }
    journal.record(JournalKind.RUN, {"event": "started", **params})
    loader = open_source(data, clock=clock, base_timeframe=base)
    stage = ScanStage(loader, base, ScanParams(history_bars=history))
    with Progress(
        TextColumn("[bold]replay[/bold] {task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} bars"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
    ) as progress:
        task = progress.add_task(", ".join(symbols), total=steps)
        summary = replay_scans(
            stage,
            clock,
            symbols,
            frames,
            base,
            steps,
            timer=time.perf_counter,
            on_step=lambda done: progress.update(task, completed=done),
            on_scan=journal.scan,
        )
    journal.record(JournalKind.RUN, {"event": "completed", **summary.as_dict()})
    runtime.journal.checkpoint()  # sign the run's end now, so the verify below covers it
    return summary, journal, runtime.journal.verify()


def _print_journal(journal: StageJournal, report: VerifyReport, runtime: Runtime) -> None:
    status = "[green]verified[/green]" if report.ok else f"[red]FAILED[/red] {report.detail}"
    console.print(
        f"Journal: run {journal.run_id} appended {journal.appended} entries; chain {status} "
        f"({report.count} entries, head {report.head_hash[:16]}…, "
        f"{report.checkpoints_checked} signed checkpoints checked)"
    )
    console.print(
        f"  verify again: quorum journal verify --db {runtime.settings.database.url} "
        f"--checkpoints {runtime.checkpoint_dir} --public-key {runtime.public_key_path}"
    )


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
