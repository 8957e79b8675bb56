"""`quorum backtest --walk-forward TRAIN:TEST[:STEP]` and `--risk-config PATH`.

A walk-forward runs every part on its own fresh SQLite database next to the run's
database path: ``<stem>.f1-train.sqlite``, ``<stem>.f1-test.sqlite`` … (the learned
calibration lives in the database; a test part gets a copy of its train part's state
and nothing else). The report is the stitched out-of-sample run with a per-fold table.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
import yaml
from rich.markup import escape

from quorum.backtest import BacktestSpec
from quorum.backtest.folds import Fold, WindowPlan
from quorum.errors import ConfigError, QuorumError


def read_yaml(path: Path, option: str) -> Any:
    """The YAML document in ``path`` (None for an empty file); ConfigError naming the option."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{option} {path}: cannot read a YAML mapping ({exc})") from None


def load_risk_config(path: Path) -> dict[str, Any]:
    """The RiskSettings fields a YAML file overrides, validated strictly (keys named)."""
    from quorum.backtest.spec import risk_override

    try:
        return risk_override(read_yaml(path, "--risk-config") or {})
    except ValueError as exc:
        raise ConfigError(f"--risk-config {path}: {exc}") from None


def load_overrides(path: Path) -> dict[str, dict[str, Any]]:
    """Per-component settings overrides from a YAML file: top-level keys ``agents``,
    ``scoring``, ``risk``, ``llm``, each nested like its settings model (validated strictly,
    each problem named by its dotted key)."""
    from quorum.backtest.spec import OVERRIDES
    from quorum.config.settings.overrides import validate_override

    data = read_yaml(path, "--overrides") or {}
    expected = sorted(OVERRIDES)
    if not isinstance(data, dict):
        raise ConfigError(f"--overrides {path}: expected a mapping of {expected}")
    unknown = sorted(set(data) - set(OVERRIDES))
    if unknown:
        raise ConfigError(f"--overrides {path}: unknown sections {unknown}; expected {expected}")
    try:
        return {name: validate_override(name, OVERRIDES[name], data[name]) for name in data}
    except ValueError as exc:
        raise ConfigError(f"--overrides {path}: {exc}") from None


def part_path(base: Path, name: str) -> Path:
    return base.with_name(f"{base.stem}.{name}.sqlite")


def fold_paths(base: Path, folds: list[Fold]) -> list[Path]:
    return [part_path(base, f"f{f.index}-{part}") for f in folds for part in ("train", "test")]


def walk_forward_command(
    spec: BacktestSpec,
    plan: WindowPlan,
    folds: list[Fold],
    base: Path,
    report: Path | None,
    as_json: bool,
    run_id: str,
) -> None:
    """Run the folds with a progress bar, print the summary, write the report."""
    from apps.cli.commands.backtest import backtest_runtime, console, progress_bar
    from quorum.backtest.walkforward import run_walk_forward

    for path in fold_paths(base, folds):
        if path.exists():
            console.print(
                f"[red]backtest refused:[/red] database {path} exists; expected a fresh one"
            )
            raise typer.Exit(2)

    @contextmanager
    def services_for(name: str) -> Iterator[Any]:
        runtime = backtest_runtime(part_path(base, name))
        try:
            yield runtime
        finally:
            runtime.close()

    parts = 1 if spec.capital_mode == "portfolio" else len(spec.symbols)
    steps = sum(((f.test_end - f.train_start) // spec.base_timeframe.delta) for f in folds)
    began = time.perf_counter()
    try:
        with progress_bar(as_json) as progress:
            bar = progress.add_task("run", total=steps * parts, rate="-")

            def on_step(done: int) -> None:
                rate = done * len(spec.symbols) / max(time.perf_counter() - began, 1e-9)
                progress.update(bar, completed=done, rate=f"{rate:,.0f}")

            outcome = run_walk_forward(spec, plan, services_for, run_id=run_id, on_step=on_step)
    except QuorumError as exc:
        console.print(f"[red]walk-forward failed:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    wall = time.perf_counter() - began
    result = outcome.result
    assert result.walk_forward is not None
    summary: dict[str, Any] = {
        "run_id": result.run_id,
        "databases": [str(p) for p in fold_paths(base, folds)],
        "walk_forward": plan.text,
        "result_hash": outcome.result_hash,
        "trades": len(result.trades),
        "final_equity": str(result.equity_curve[-1].equity) if result.equity_curve else None,
        "folds": [
            {
                "fold": f.index,
                "train": [f.train_start.isoformat(), f.train_end.isoformat()],
                "test": [f.test_start.isoformat(), f.test_end.isoformat()],
                "fitted": f.fitted.digest,
                **f.test.model_dump(mode="json"),
            }
            for f in result.walk_forward.folds
        ],
        "llm": result.llm.model_dump(mode="json"),
        "warnings": list(result.warnings),
        "wall_s": round(wall, 3),
        "base_bars_per_s": round(steps * len(spec.symbols) / wall, 1),
    }
    if report is not None:
        from apps.cli.commands.backtest import write_report_files

        summary["report"] = write_report_files(result, report)
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=str))
        return
    for warning in result.warnings:
        console.print(f"[bold red]{escape(warning)}[/bold red]")
    for f in summary["folds"]:
        console.print(
            f"fold {f['fold']}: test {f['test'][0]} → {f['test'][1]}: {f['trades']} trades, "
            f"return {f['total_return']:.4%}, Sharpe {f['sharpe']}, "
            f"max DD {f['max_drawdown_pct']:.2f}%, Brier {f['brier']}"
        )
    console.print(
        f"Walk-forward {result.run_id}: {summary['trades']} out-of-sample trades, final equity "
        f"{summary['final_equity']}, {summary['wall_s']} s ({summary['base_bars_per_s']} bars/s)"
    )
    console.print(f"result hash {outcome.result_hash}")
    if "report" in summary:
        console.print(f"report {summary['report']['html']} (hash {summary['report']['hash']})")
