"""`quorum bench …`: benchmark scenarios, printed as JSON (see benchmarks/README.md)."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console

app = typer.Typer(help="Benchmarks; results are JSON and recorded in benchmarks/README.md.")
console = Console()


def _emit(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result, indent=2, default=str))
    else:
        console.print_json(json.dumps(result, default=str))


@app.command("scan")
def bench_scan(
    symbols: int = typer.Option(20, help="Symbols in the standard scan."),
    bars: int = typer.Option(500, help="Closed bars per timeframe."),
    runs: int = typer.Option(7, min=5, help="Warm runs (median reported)."),
    seed: int = typer.Option(7),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Standard scan (20 symbols × 4 timeframes × 500 bars) and indicators vs TA-Lib."""
    from benchmarks.scan import run

    _emit(run(symbols=symbols, bars=bars, runs=runs, seed=seed), as_json)


@app.command("risk")
def bench_risk(
    signals: int = typer.Option(100_000, help="Random signals to evaluate."),
    positions: int = typer.Option(50, help="Open positions in the portfolio."),
    monitor_positions: int = typer.Option(1_000, help="Positions for the monitor timing."),
    seed: int = typer.Option(1),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Risk evaluate latency over random signals and monitor over many positions."""
    from benchmarks.risk import run

    _emit(
        run(signals=signals, positions=positions, monitor_positions=monitor_positions, seed=seed),
        as_json,
    )


@app.command("journal")
def bench_journal(
    entries: int = typer.Option(20_000, help="Entries appended in batches."),
    batch: int = typer.Option(100, help="Entries per commit in the batched run."),
    single: int = typer.Option(2_000, help="Durable single-entry commits (one fsync each)."),
    keep: str | None = typer.Option(
        None, "--keep", help="Leave the SQLite journal here (+ -checkpoints dir, .pub.pem)."
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Journal appends/s (durable, batched) and verification vs a bare SHA-256 chain."""
    from benchmarks.journal import run

    _emit(run(entries=entries, batch=batch, keep=keep, single=single), as_json)


@app.command("router")
def bench_router(
    calls: int = typer.Option(2000, help="Calls per path (bare litellm.Router vs ours)."),
    seed: int = typer.Option(1),
    sql_calls: int = typer.Option(300, min=0, help="Calls with the SQL budget (0: skip)."),
    bars: int = typer.Option(250, min=1, help="Bars of the cache re-run scenario."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Routing-layer overhead over a bare litellm.Router (real prompt templates, the default
    budget backend; wall and CPU time), and the cache hit rate of a rerun."""
    from benchmarks.router import run

    _emit(run(calls=calls, seed=seed, sql_calls=sql_calls, bars=bars), as_json)


@app.command("execution")
def bench_execution(
    intents: int = typer.Option(2000, min=0, help="Intents stored and executed (0: skip)."),
    kill_switch: bool = typer.Option(
        True, "--kill-switch/--no-kill-switch", help="Kill-switch time-to-block / to-flat."
    ),
    redis_url: str | None = typer.Option(
        None,
        "--redis-url",
        help="Redis for the Celery mode (default QUORUM_REDIS_URL or QUORUM_TEST_REDIS_URL; "
        "none: Celery mode skipped).",
    ),
    positions: int = typer.Option(3, min=1, help="Open positions the kill switch flattens."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Intents → paper fills per second through the full idempotent path, and the kill
    switch's time-to-block and time-to-flat (embedded, and Celery with a real worker)."""
    from benchmarks.execution import run

    _emit(
        run(intents=intents, kill_switch=kill_switch, redis_url=redis_url, positions=positions),
        as_json,
    )


@app.command("beat")
def bench_beat(
    redis_url: str | None = typer.Option(
        None,
        "--redis-url",
        help="Redis the beats share (default QUORUM_REDIS_URL or QUORUM_TEST_REDIS_URL).",
    ),
    rounds: int = typer.Option(3, min=1, help="Takeovers after SIGTERM, then after SIGKILL."),
    lock_timeout_s: float = typer.Option(30.0, help="worker.beat_lock_timeout_s of the beats."),
    loop_s: float = typer.Option(5.0, help="worker.beat_max_loop_interval_s of the beats."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Standby beat takeover time after SIGTERM and after SIGKILL of the active beat
    (two real RedBeat beats over a real Redis)."""
    from benchmarks.beat import run

    _emit(
        run(redis_url=redis_url, rounds=rounds, lock_timeout_s=lock_timeout_s, loop_s=loop_s),
        as_json,
    )


@app.command("startup")
def bench_startup(
    help_runs: int = typer.Option(3, min=1, help="Runs of `quorum --help`."),
    steps: int = typer.Option(96, min=1, help="Base bars of the timed `quorum run`."),
    seed: int = typer.Option(7, help="Seed of the first scan's synthetic data."),
    skip_run: bool = typer.Option(False, "--skip-run", help="Leave out the `quorum run`."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """`quorum --help`, a default `quorum run` and a fresh worker's first scan, each in new
    processes: wall and CPU seconds, with the load average."""
    from benchmarks.startup import run

    _emit(run(help_runs=help_runs, steps=steps, seed=seed, skip_run=skip_run), as_json)


@app.command("durability")
def bench_durability(
    steps: int = typer.Option(96, min=1, help="Base bars of the `quorum run` counted."),
    fsyncs: bool = typer.Option(
        True, "--fsyncs/--no-fsyncs", help="Also count fsync calls of a second run (strace)."
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Commits and fsyncs per base bar and checkpoint bytes per analysis of `quorum run`."""
    from benchmarks.durability import run

    _emit(run(steps=steps, fsyncs=fsyncs), as_json)


@app.command("backtest")
def bench_backtest(
    days: float = typer.Option(365, min=0.25, help="Window length in days (from 2025-01-01)."),
    passes: str = typer.Option(
        "no_candidates,offline,cached_cold,cached_warm,floors",
        help="Comma-separated passes: no_candidates, offline, cached_cold, cached_warm, "
        "floors (the live scan's and LangGraph's own cost: the fastest any pass can be).",
    ),
    seed: int = typer.Option(7),
    keep: str | None = typer.Option(None, "--keep", help="Leave the pass databases here."),
    sqlite_synchronous: str | None = typer.Option(
        None, help="Override PRAGMA synchronous of the run databases (OFF|NORMAL|FULL)."
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Base bars/s of 4 symbols × 4 timeframes through the backtest pipeline (offline LLM,
    no candidates, warm LLM cache)."""
    from benchmarks.backtest import run

    chosen = tuple(p.strip() for p in passes.split(",") if p.strip())
    if sqlite_synchronous is not None and sqlite_synchronous.upper() not in (
        "OFF",
        "NORMAL",
        "FULL",
    ):
        raise typer.BadParameter("expected OFF, NORMAL or FULL", param_hint="--sqlite-synchronous")
    sync = None if sqlite_synchronous is None else sqlite_synchronous.upper()
    _emit(run(days=days, seed=seed, passes=chosen, keep=keep, synchronous=sync), as_json)


@app.command("candidates")
def bench_candidates(
    every: int = typer.Option(1, min=1, help="Trading days between real daily cycles."),
    horizon: int = typer.Option(5, min=1, help="Bars of the forward return a hit is."),
    per_cycle: int = typer.Option(1, min=1, help="max_analyses_per_cycle of the screen."),
    cycles: int = typer.Option(2000, min=1, help="Hourly cycles of the synthetic screen."),
    steps: int = typer.Option(96, min=1, help="Base bars of the capped `quorum run`."),
    seed: int = typer.Option(7),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Candidate rate of scans (real daily equities, synthetic 1h) and the forward hit rate
    of the candidates the ranked budget analyses vs caps; a `quorum run` capped and not."""
    from benchmarks.candidates import run

    result = run(
        every=every, horizon=horizon, per_cycle=per_cycle, cycles=cycles, steps=steps, seed=seed
    )
    _emit(result, as_json)
