"""`quorum backtest`: the real pipeline replayed over recorded bars, with a report.

Each run gets its own SQLite database (``--db``, default ``var/backtests/<run>.sqlite``,
or ``DIR/run.sqlite`` with ``--report DIR``): the learned calibration lives in the
database, so a fresh one is what makes a run repeatable. The run's record (``runs``
table), decisions, orders, trades and journal are all in it, under the run id.
``--walk-forward TRAIN:TEST[:STEP]`` runs rolling folds instead (one database per part,
see :mod:`apps.cli.commands.backtest_walkforward`); ``--risk-config PATH`` overrides
RiskSettings fields for the run (part of the spec and its config hash); ``--ablate llm``
runs the window with and without the LLM opinions (see
:mod:`apps.cli.commands.backtest_ablate`).
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from apps.cli.options import parse_symbols, parse_time, parse_timeframes
from quorum.errors import ConfigError, QuorumError

console = Console()


def backtest_runtime(db_path: Path) -> Any:
    """A runtime (journal, flags, LLM settings) over a fresh SQLite database at ``db_path``."""
    from apps.bootstrap import build_runtime
    from quorum.config import load_settings

    settings = load_settings()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    database = settings.database.model_copy(update={"url": f"sqlite:///{db_path.resolve()}"})
    return build_runtime(settings.model_copy(update={"database": database}))


def offline_answers(engine: Any, llm_mode: str) -> dict[str, int]:
    """Why the offline analyst answered in this backtest's database (``{why: calls}``)."""
    from quorum.llm.offline_report import offline_reasons

    reasons = offline_reasons(engine, None)
    if llm_mode == "offline" and reasons:
        return {"offline: --llm offline asked for the offline analyst only": sum(reasons.values())}
    return reasons


def write_report_files(result: Any, report: Path) -> dict[str, str]:
    """Write ``result``'s JSON + HTML report into ``report``; their paths and content hash."""
    from quorum.backtest.report import write_report

    paths = write_report(result, report)
    return {"json": str(paths.json), "html": str(paths.html), "hash": paths.content_hash}


def progress_bar(disabled: bool) -> Progress:
    """The backtest progress bar: bars done, bars per second (field ``rate``), ETA."""
    return Progress(
        TextColumn("[bold]backtest[/bold]"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.completed}/{task.total} bars"),
        TextColumn("{task.fields[rate]} bars/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=disabled,
    )


def backtest(
    symbols: str = typer.Option("BTC/USDT,ETH/USDT", help="Comma-separated symbols."),
    timeframes: str = typer.Option("15m,1h,4h,1d", help="Comma-separated timeframes."),
    start: str = typer.Option("2025-01-01T00:00:00Z", help="Window start (ISO-8601 UTC)."),
    end: str = typer.Option("2025-01-08T00:00:00Z", help="Window end (ISO-8601 UTC)."),
    data: str = typer.Option(
        "synthetic", help="store:DIR | csv:PATH | synthetic[:SEED] | parquet:PATH"
    ),
    capital: str = typer.Option("10000", help="Starting capital (quote currency)."),
    capital_mode: str = typer.Option("portfolio", help="independent | portfolio"),
    llm: str = typer.Option("cached", help="cached | offline | live"),
    strategy: str = typer.Option("agents", help="agents | ema-cross:FAST,SLOW[,STOP[,TARGET]]"),
    seed: int = typer.Option(7, help="Seed (synthetic data, venue)."),
    history_bars: int = typer.Option(
        500, "--history-bars", help="Bars of history before the window (indicator warm-up)."
    ),
    strict_leakage: bool = typer.Option(
        False, "--strict-leakage", help="Refuse models whose training may cover the window."
    ),
    report: Path | None = typer.Option(None, "--report", help="Write report.json/html here."),
    gate: Path | None = typer.Option(
        None, "--gate", help="Run the gate file's locked window; exit 1 when it fails."
    ),
    db: Path | None = typer.Option(None, "--db", help="SQLite file for this run."),
    walk_forward: str | None = typer.Option(
        None,
        "--walk-forward",
        help="TRAIN:TEST[:STEP] rolling folds (e.g. 30d:7d): fit on train, measure on test.",
    ),
    risk_config: Path | None = typer.Option(
        None, "--risk-config", help="YAML file of RiskSettings fields to override for this run."
    ),
    overrides: Path | None = typer.Option(
        None,
        "--overrides",
        help="YAML file with agents: / scoring: / risk: / llm: fields to override for this run "
        "(over the deployment's settings; hashed into the run record).",
    ),
    ablate: str | None = typer.Option(
        None,
        "--ablate",
        help="llm: run the window with and without the LLM opinions; compare side by side.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Replay the real pipeline (or a rule strategy) over recorded bars; report the run."""
    from apps.cli.commands.backtest_walkforward import (
        load_overrides,
        load_risk_config,
        walk_forward_command,
    )
    from quorum.backtest import BacktestSpec, judge, load_gate, run_backtest
    from quorum.backtest.folds import make_folds, parse_plan

    try:
        if gate is not None and (walk_forward or risk_config or overrides):
            raise ConfigError(
                "--gate: runs its locked window as written; put risk overrides in the gate "
                "file's window and run walk-forwards without --gate"
            )
        if gate is not None:
            gate_spec = load_gate(gate)
            spec = gate_spec.window
        else:
            gate_spec = None
            changes = load_overrides(overrides) if overrides else {}
            if risk_config:
                if "risk" in changes:
                    raise ConfigError("--risk-config and an overrides file's risk: both given")
                changes["risk"] = load_risk_config(risk_config)
            spec = BacktestSpec(
                symbols=tuple(parse_symbols(symbols)),
                timeframes=tuple(tf.value for tf in parse_timeframes(timeframes)),
                base=parse_timeframes(timeframes)[0].value,
                start=parse_time(start, "--start"),
                end=parse_time(end, "--end"),
                data=data,
                capital=Decimal(capital),
                capital_mode=capital_mode,
                llm=llm,
                strategy=strategy,
                seed=seed,
                history_bars=history_bars,
                strict_leakage=strict_leakage,
                risk=changes.get("risk"),
                agents=changes.get("agents"),
                scoring=changes.get("scoring"),
                llm_settings=changes.get("llm"),
            )
        if ablate is not None and ablate != "llm":
            raise ConfigError(f"--ablate: must be llm (got {ablate!r})")
        if ablate and (gate is not None or walk_forward or spec.rule is not None):
            raise ConfigError(
                "--ablate llm: compares the agents strategy with and without its LLM "
                "opinions; not with --gate, --walk-forward or a rule strategy"
            )
        plan = parse_plan(walk_forward) if walk_forward else None
        folds = make_folds(spec.start, spec.end, plan, spec.base_timeframe) if plan else []
    except (ValueError, ArithmeticError, QuorumError) as exc:
        console.print(f"[red]backtest refused:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    from quorum.clock import SystemClock

    stamp = f"{SystemClock().now():%Y%m%dT%H%M%S%f}"
    default = Path("var/backtests") / f"{spec.config_hash()[:12]}-{stamp}.sqlite"
    path = db or (report / "run.sqlite" if report else default)
    if plan is not None:
        run_id = f"wf-{spec.config_hash()[:12]}-{stamp[:15]}"
        walk_forward_command(spec, plan, folds, path, report, as_json, run_id)
        return
    if ablate:
        from apps.cli.commands.backtest_ablate import ablate_command

        ablate_command(spec, path, report, as_json)
        return
    if path.exists():
        console.print(f"[red]backtest refused:[/red] database {path} exists; expected a fresh one")
        raise typer.Exit(2)
    began = time.perf_counter()
    runtime = backtest_runtime(path)
    total = spec.steps * (1 if spec.capital_mode == "portfolio" else len(spec.symbols))
    try:
        with progress_bar(as_json) as progress:
            bar = progress.add_task("run", total=total, rate="-")

            def on_step(done: int) -> None:
                rate = done * len(spec.symbols) / max(time.perf_counter() - began, 1e-9)
                progress.update(bar, completed=done, rate=f"{rate:,.0f}")

            outcome = run_backtest(spec, runtime, on_step=on_step)
        offline = offline_answers(runtime.engine, spec.llm)
    except QuorumError as exc:
        console.print(f"[red]backtest failed:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    finally:
        runtime.close()
    wall = time.perf_counter() - began
    result = outcome.result
    summary: dict[str, Any] = {
        "run_id": result.run_id,
        "database": str(path),
        "result_hash": outcome.result_hash,
        "settings_hash": result.settings_hash,
        "trades": len(result.trades),
        "final_equity": str(result.equity_curve[-1].equity) if result.equity_curve else None,
        "llm": result.llm.model_dump(mode="json"),
        "warnings": list(result.warnings),
        "offline_answers": offline,
        "wall_s": round(wall, 3),
        "base_bars_per_s": round(spec.steps * len(spec.symbols) / wall, 1),
    }
    if report is not None:
        summary["report"] = write_report_files(result, report)
    failed = False
    if gate_spec is not None:
        passed, measured = judge(gate_spec, result)
        summary["gate"] = {"passed": passed, **measured}
        failed = not passed
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=str))
    else:
        for warning in result.warnings:
            console.print(f"[bold red]{escape(warning)}[/bold red]")
        console.print(
            f"Backtest {result.run_id}: {summary['trades']} trades, final equity "
            f"{summary['final_equity']}, {summary['wall_s']} s "
            f"({summary['base_bars_per_s']} bars/s)"
        )
        console.print(f"result hash {outcome.result_hash}")
        from quorum.llm.offline_report import describe_offline

        said = describe_offline(offline)
        if said is not None:
            console.print(f"[bold yellow]LLM:[/bold yellow] {escape(said)}")
        if "report" in summary:
            console.print(f"report {summary['report']['html']} (hash {summary['report']['hash']})")
        if "gate" in summary:
            g = summary["gate"]
            verdict = "[green]PASSED[/green]" if g["passed"] else "[red]FAILED[/red]"
            console.print(
                f"gate {verdict}: sharpe {g['sharpe']}, "
                f"max drawdown {g['max_drawdown']}; {g['failures']}"
            )
    if failed:
        raise typer.Exit(1)
