"""`quorum run`: the whole pipeline end to end on embedded defaults.

SQLite, no Redis (the in-process EmbeddedDispatcher drives the same task bodies the Celery
workers call), the offline LLM provider, the replay venue filled from the replayed bars,
and synthetic data replayed at high speed with a ReplayClock, through the pipeline's one
bar driver (``quorum.pipeline.driver.replay``, the one ``quorum backtest`` drives): at
every base-bar close fills → execute → monitor → plan → scan → analyze → execute. The
summary is counted from the task results and the database, and the journal is verified
before it is printed.

Each run is its own paper account on its own SQLite file (``var/runs/<run id>.db``)
unless ``--db`` names one: its orders, fills, trades and journal live in the database (the
replay venue's matching state lives in the process, as in a backtest). Point
``QUORUM_DATABASE__URL`` at the printed file to inspect the run with
``quorum status`` or ``quorum journal show``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from apps.bootstrap import Runtime, build_pipeline, build_runtime
from apps.cli import collector
from apps.cli.options import (
    parse_symbols,
    parse_time,
    parse_timeframes,
    problems,
    settings_with_database,
)
from quorum.clock import ReplayClock
from quorum.config import AppSettings
from quorum.domain import JournalKind, Timeframe
from quorum.errors import QuorumError
from quorum.journal import VerifyReport, explain_orders
from quorum.llm.offline_report import describe_offline
from quorum.store import session_scope

console = Console()


def run(
    symbols: str = typer.Option("BTC/USDT,ETH/USDT,SOL/USDT", help="Comma-separated symbols."),
    timeframes: str = typer.Option("15m,1h,4h,1d", help="Comma-separated timeframes."),
    data: str = typer.Option(
        "synthetic", help="synthetic[:SEED] | store:DIR | csv:PATH | parquet:PATH"
    ),
    start: str = typer.Option("2025-01-01T00:00:00Z", help="Replay start (ISO-8601 UTC)."),
    steps: int = typer.Option(96, min=1, help="Base bars to replay (96 × 15m = one day)."),
    base: str = typer.Option("15m", help="Base timeframe."),
    history: int = typer.Option(500, help="Closed bars per timeframe in each scan."),
    live_data: str | None = typer.Option(
        None,
        "--live-data",
        help="ccxt:EXCHANGE — paper-trade the last STEPS closed bars of real market data.",
    ),
    db: str | None = typer.Option(
        None, "--db", help="Database URL (default: a new var/runs/<run id>.db per run)."
    ),
    exchange_url: str | None = typer.Option(
        None,
        "--exchange-url",
        help="Base URL of the exchange (a testnet, or `quorum venue serve`): sets "
        "trading.exchange.api_url (and trading.exchange.id from --live-data).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """The whole pipeline offline: plan → scan → analyze → execute → monitor, journaled."""
    symbol_list = parse_symbols(symbols)
    frames = parse_timeframes(timeframes)
    base_tf = parse_timeframes(base)[0]
    began = time.perf_counter()
    stamp = f"{parse_time(start, '--start'):%Y%m%dT%H%M%SZ}" if live_data is None else "live"
    args = [symbols, timeframes, data, start, steps, base, history, live_data, db, exchange_url]
    run_id = new_run_id(stamp, db, args)
    with collector.paused():  # settled once the pipeline is wired (_run)
        try:
            runtime = build_runtime(_run_settings(db, run_id, exchange_url, live_data))
        except QuorumError as exc:
            console.print(f"[red]start-up refused:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from None
        try:
            if live_data is not None:
                data, first = _live_window(runtime, live_data, symbol_list, base_tf, steps)
            else:
                first = base_tf.floor(parse_time(start, "--start"))
            settings = runtime.settings.pipeline.model_copy(
                update={
                    "symbols": tuple(symbol_list),
                    "timeframes": tuple(tf.value for tf in frames),
                    "base": base_tf.value,
                    "data": data,
                    "history_bars": history,
                }
            )
            result = _run(runtime, run_id, settings, first, steps, as_json)
        except QuorumError as exc:
            console.print(f"[red]run failed:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from None
        except ValidationError as exc:  # a parameter the pipeline's models refuse (e.g. --history)
            console.print(f"[red]run refused:[/red] {escape(problems(exc))}")
            raise typer.Exit(2) from None
        finally:
            runtime.close()
        result["wall_s"] = round(time.perf_counter() - began, 3)
        if as_json:
            typer.echo(json.dumps(result, indent=2, default=str))
        else:
            _print(result, runtime)
    if not result["journal"]["verified"]:
        raise typer.Exit(1)


def new_run_id(stamp: str, db: str | None, args: list[Any]) -> str:
    """``run-<start>-<10 hex>``: unique per invocation, derived from the database named (or
    the per-run file to come), the run's parameters and a fresh nonce, so two runs never
    share an id — and so never share analysis keys, LangGraph threads or client ids."""
    material = json.dumps([db, [str(a) for a in args], secrets.token_hex(16)])
    return f"run-{stamp}-{hashlib.sha256(material.encode('utf-8')).hexdigest()[:10]}"


def _run_settings(
    db: str | None, run_id: str, exchange_url: str | None = None, live_data: str | None = None
) -> AppSettings:
    """The loaded settings with this run's database: ``--db``, else ``var/runs/<run id>.db``;
    ``--exchange-url`` re-bases the exchange (its id from ``--live-data ccxt:ID`` if unset)."""
    if db is None:
        runs = Path("var") / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        db = f"sqlite:///{runs / f'{run_id}.db'}"
    settings = settings_with_database(db)
    if exchange_url is None:
        return settings
    exchange = settings.trading.exchange
    update: dict[str, Any] = {"api_url": exchange_url}
    if exchange.id is None and live_data is not None and live_data.startswith("ccxt:"):
        update["id"] = live_data.removeprefix("ccxt:")
    try:
        checked = type(exchange).model_validate({**exchange.model_dump(), **update})
    except ValidationError as exc:
        raise typer.BadParameter(
            f"{exchange_url!r}: {problems(exc)}", param_hint="--exchange-url"
        ) from None
    trading = settings.trading.model_copy(update={"exchange": checked})
    return settings.model_copy(update={"trading": trading})


def _live_window(
    runtime: Runtime, spec: str, symbols: list[str], base: Timeframe, steps: int
) -> tuple[str, Any]:
    """Probe the exchange once (bounded by the source's timeouts and retries) and replay
    the last ``steps`` closed bars; refuse clearly when the network does not allow it."""
    from apps.bootstrap import market_source
    from quorum.clock import SystemClock
    from quorum.errors import ConfigError

    if not spec.startswith("ccxt:") or not spec.removeprefix("ccxt:"):
        raise ConfigError(f"--live-data: expected ccxt:EXCHANGE (got {spec!r})")
    now = SystemClock().now()
    end = base.floor(now)
    first = end - base.delta * steps
    source = market_source(runtime, spec, SystemClock(), base)
    source.fetch_bars(symbols[0], base, end - base.delta * 4, end)
    return spec, first


def _run(
    runtime: Runtime, run_id: str, settings: Any, first: Any, steps: int, quiet: bool
) -> dict[str, Any]:
    from quorum.pipeline import EmbeddedDispatcher
    from quorum.pipeline.driver import replay
    from quorum.pipeline.options import PipelineOptions, PipelineParts, ReplayCosts
    from quorum.pipeline.summary import run_counts

    clock = ReplayClock(first)
    params = {
        "symbols": list(settings.symbols),
        "timeframes": list(settings.timeframes),
        "data": settings.data,
        "base": settings.base,
        "steps": steps,
        "history_bars": settings.history_bars,
        "start": first.isoformat(),
        "trading_mode": runtime.settings.trading.mode,
    }
    _journal(runtime, run_id, {"event": "started", **params})
    dispatcher = EmbeddedDispatcher()
    parts: list[PipelineParts] = []
    options = PipelineOptions(
        run_id=run_id,
        clock=clock,
        settings=settings,
        replay=ReplayCosts(fee=settings.paper_fee, slippage=settings.paper_slippage),
        live=str(runtime.flags.get("trading.mode")) == "live",
    )
    tasks = build_pipeline(runtime, dispatcher, options, parts=parts)
    collector.settle()  # start-up is over: what it built lives as long as the run
    venue = parts[0].venue
    record = RunRecord(runtime, run_id, params, parts[0].settings.digest())
    with Progress(
        TextColumn("[bold]pipeline[/bold] {task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} bars"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
    ) as progress:
        bar = progress.add_task(", ".join(settings.symbols), total=steps)

        def on_step(done: int, tally: Any) -> None:
            analyses = tally.analyses
            progress.update(
                bar,
                completed=done,
                description=f"signals {analyses['approved'] + analyses['rejected']} "
                f"approved {analyses['approved']} fills {tally.executions['filled']}",
            )

        try:
            tally = replay(tasks, dispatcher, clock, venue, steps, on_step=on_step)
        except Exception as exc:
            record.finish("failed", f"failed: {type(exc).__name__}: {exc}")
            raise
    ledger = getattr(tasks.deps.router, "ledger", None)
    if ledger is not None:
        ledger.flush()  # every LLM call in the ledger before the run is counted
    counts = run_counts(runtime.engine, run_id)
    status = tasks.status().model_dump(mode="json")
    tasks.close()
    summary = {
        **tally.as_dict(),
        **counts,
        "run_id": run_id,
        "symbols": list(settings.symbols),
        "database": runtime.settings.database.url,
    }
    summary["base_bars"] = steps * len(settings.symbols)
    summary["equity"] = status["pnl"]["equity"]
    summary["end_state"] = {
        "safe_mode": status["safe_mode"],
        "lockouts": status["lockouts"],
        "kill_switch": status["kill_switch"]["engaged"],
        "open_positions": len(status["positions"]),
    }
    _journal(runtime, run_id, {"event": "completed", **_scalars(summary)})
    record.finish("completed", "quorum run", trades_closed=summary["wins"] + summary["losses"])
    runtime.journal.checkpoint()
    report = runtime.journal.verify()
    summary["journal"] = _journal_dict(runtime, run_id, report)
    summary["end"] = tally.end.isoformat() if tally.end else None
    return summary


def _scalars(summary: dict[str, Any]) -> dict[str, Any]:
    keep = ("steps", "bars_scanned", "candidates", "signals", "fills", "realized_pnl")
    return {k: summary[k] for k in keep} | {
        "verdicts": summary["verdicts"],
        "analysis_disabled": summary["analysis_disabled"],
    }


class RunRecord:
    """The run's row in ``runs`` (mode ``replay``): written when it starts and when it ends,
    with its parameters' hash and the settings hash."""

    def __init__(
        self, runtime: Runtime, run_id: str, params: dict[str, Any], settings_hash: str
    ) -> None:
        from quorum.backtest.records import git_sha, start_run
        from quorum.domain import Timeframe

        self.runtime, self.run_id, self.settings_hash = runtime, run_id, settings_hash
        first = datetime.fromisoformat(params["start"])
        text = json.dumps(params, sort_keys=True, separators=(",", ":"))
        start_run(
            runtime.engine,
            run_id=run_id,
            mode="replay",
            capital_mode="portfolio",
            config_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            symbols=list(params["symbols"]),
            start=first,
            end=first + Timeframe(params["base"]).delta * int(params["steps"]),
            started_at=runtime.clock.now(),
            sha=git_sha(),
            notes="quorum run",
        )

    def finish(self, status: str, notes: str, trades_closed: int = 0) -> None:
        from quorum.backtest.records import finish_run

        finish_run(
            self.runtime.engine,
            self.run_id,
            completed_at=self.runtime.clock.now(),
            status=status,
            data_ok=True,
            trades_opened=trades_closed,
            trades_closed=trades_closed,
            result_hash=None,
            notes=notes[:2000],
            settings_hash=self.settings_hash,
        )


def _journal(runtime: Runtime, run_id: str, payload: dict[str, Any]) -> None:
    with session_scope(runtime.engine) as session:
        runtime.journal.append(session, JournalKind.RUN, payload, actor="quorum run", run_id=run_id)


def _journal_dict(runtime: Runtime, run_id: str, report: VerifyReport) -> dict[str, Any]:
    from sqlalchemy import func, select
    from sqlmodel import SQLModel

    from quorum.store import JOURNAL_TABLE_NAME

    entries = SQLModel.metadata.tables[JOURNAL_TABLE_NAME]
    with runtime.engine.connect() as conn:
        appended = conn.execute(select(func.count()).where(entries.c.run_id == run_id)).scalar_one()
    explained = explain_orders(runtime.engine)
    return {
        "appended": int(appended),
        "verified": report.ok and explained.ok,
        "orders_explained": explained.summary(),
        "entries": report.count,
        "head": report.head_hash,
        "checkpoints_checked": report.checkpoints_checked,
        "detail": report.detail or ("" if explained.ok else explained.summary()),
        "verify_command": (
            f"quorum journal verify --db {runtime.settings.database.url} "
            f"--checkpoints {runtime.checkpoints} --public-key {runtime.public_key_path}"
        ),
    }


def _print(result: dict[str, Any], runtime: Runtime) -> None:
    console.print(
        f"\n[bold]Pipeline run[/bold] {result['run_id']}: {result['steps']} base bars × "
        f"{len(result['symbols'])} symbols ({result['start']} → {result['end']}) "
        f"in {result['wall_s']:.1f}s"
    )
    console.print(f"database: {escape(result['database'])}")
    table = Table(title="What ran")
    table.add_column("stage")
    table.add_column("count", justify="right")
    table.add_column("detail")
    verdicts = result["verdicts"]
    table.add_row("bars scanned", str(result["bars_scanned"]), json.dumps(result["scans"]))
    table.add_row("candidates", str(result["candidates"]), "")
    paused = result["analysis_disabled"]
    if any(paused.values()):
        table.add_row(
            "analysis disabled",
            str(paused["plans"]),
            f"plans while analysis.enabled was false; skipped {paused['scans_skipped']} scans, "
            f"{paused['candidates_skipped']} candidates, "
            f"{paused['analyses_skipped']} analyses skipped",
        )
    table.add_row("analyses", str(sum(result["analyses"].values())), json.dumps(result["analyses"]))
    table.add_row("signals", str(result["signals"]), json.dumps(verdicts))
    table.add_row("orders", str(result["orders"]["total"]), json.dumps(result["orders"]["by_leg"]))
    table.add_row("fills", str(result["fills"]), f"fees {result['fees']}")
    table.add_row(
        "closed trades",
        str(result["wins"] + result["losses"]),
        f"{result['wins']} won, {result['losses']} lost; realized P&L {result['realized_pnl']}",
    )
    llm = result["llm"]
    table.add_row(
        "LLM calls",
        str(llm["calls"]),
        f"cache hits {llm['cache_hits']}, spend ${llm['spend_usd']:.6f}",
    )
    offline = describe_offline(result["offline_answers"])
    if offline is not None:
        table.add_row("offline answers", str(sum(result["offline_answers"].values())), offline)
    console.print(table)
    if result["rejection_reasons"]:
        # one row per rule (its measured values differ per signal; --json keeps each reason)
        by_rule: dict[str, tuple[int, str]] = {}
        for reason, count in result["rejection_reasons"].items():
            rule = reason.split(":", 1)[0]
            seen, example = by_rule.get(rule, (0, reason))
            by_rule[rule] = (seen + count, example)
        reasons = Table(title="Rejections by rule")
        reasons.add_column("rule")
        reasons.add_column("count", justify="right")
        reasons.add_column("example")
        for rule, (count, example) in sorted(by_rule.items(), key=lambda kv: -kv[1][0]):
            reasons.add_row(escape(rule), str(count), escape(example[:110]))
        console.print(reasons)
    journal = result["journal"]
    status = (
        "[green]verified[/green]"
        if journal["verified"]
        else f"[red]FAILED[/red] {journal['detail']}"
    )
    console.print(
        f"Equity {result['equity']}; journal: {journal['appended']} entries this run; chain "
        f"{status} ({journal['entries']} entries, {journal['checkpoints_checked']} checkpoints)"
    )
    console.print(f"  orders: {escape(journal['orders_explained'])}")
    console.print(f"  verify again: {journal['verify_command']}")
