"""`quorum backtest --ablate llm`: the same window with and without the LLM opinions.

Two ordinary backtests of one spec, each on its own fresh database (``--db PATH`` and
``PATH-no-llm``): the second overrides ``agents.llm_opinions: false`` (hashed into its run
record like any override). Prints the side-by-side table of
:func:`quorum.backtest.ablation.ablation_table` — trades, hit rate, expectancy, Sharpe, max
drawdown and LLM spend per arm, and the decisions that differ with the opinions that made
them differ; ``--report DIR`` also writes each arm's report and ``ablation.json``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from apps.cli.commands.backtest import backtest_runtime, write_report_files
from quorum.errors import QuorumError

console = Console()

ROWS = (
    ("trades", "trades"),
    ("hit rate", "hit_rate"),
    ("expectancy", "expectancy"),
    ("expectancy (R)", "expectancy_r"),
    ("net P&L", "net_pnl"),
    ("Sharpe", "sharpe"),
    ("max drawdown", "max_drawdown"),
    ("max drawdown %", "max_drawdown_pct"),
    ("LLM calls", "llm_calls"),
    ("LLM spend (USD)", "llm_spend_usd"),
    ("spend per trade (USD)", "spend_per_trade_usd"),
)


def arm_path(path: Path, arm: str) -> Path:
    """The arm's database: ``path`` itself with the opinions, ``<stem>-no-llm`` without."""
    return path if arm == "with_llm" else path.with_name(f"{path.stem}-no-llm{path.suffix}")


def ablate_command(spec: Any, path: Path, report: Path | None, as_json: bool) -> None:
    from quorum.backtest import BacktestSpec, run_backtest
    from quorum.backtest.ablation import ARMS, ablation_table, run_decisions

    agents = {**(spec.agents or {}), "llm_opinions": False}
    specs = {
        "with_llm": spec,
        "without_llm": BacktestSpec.model_validate({**spec.model_dump(), "agents": agents}),
    }
    for arm in ARMS:
        if arm_path(path, arm).exists():
            console.print(
                f"[red]backtest refused:[/red] database {arm_path(path, arm)} exists; "
                "expected a fresh one"
            )
            raise typer.Exit(2)
    results, decisions, files = {}, {}, {}
    for arm in ARMS:
        runtime = backtest_runtime(arm_path(path, arm))
        try:
            outcome = run_backtest(specs[arm], runtime)
            decisions[arm] = run_decisions(runtime.engine, outcome.result.run_id)
        except QuorumError as exc:
            console.print(f"[red]backtest failed ({arm}):[/red] {escape(str(exc))}")
            raise typer.Exit(1) from None
        finally:
            runtime.close()
        results[arm] = outcome.result
        if report is not None:
            files[arm] = write_report_files(outcome.result, report / arm)
    table = ablation_table(results, decisions)
    table["databases"] = {arm: str(arm_path(path, arm)) for arm in ARMS}
    table["run_ids"] = {arm: results[arm].run_id for arm in ARMS}
    if report is not None:
        table["reports"] = files
        (report / "ablation.json").write_text(json.dumps(table, indent=2), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(table, indent=2, default=str))
        return
    _print(table)


def _print(table: dict[str, Any]) -> None:
    grid = Table(title="quorum backtest --ablate llm")
    grid.add_column("")
    grid.add_column("with LLM opinions", justify="right")
    grid.add_column("without", justify="right")
    arms = table["arms"]
    for label, key in ROWS:
        grid.add_row(label, _cell(arms["with_llm"][key]), _cell(arms["without_llm"][key]))
    console.print(grid)
    differing = table["differing_decisions"]
    console.print(f"{len(differing)} decision(s) differ")
    for d in differing:
        a, b = d["with_llm"], d["without_llm"]
        console.print(
            f"{d['symbol']} {d['as_of']}: with {a['decision']} ({a['status']}), "
            f"without {b['decision']} ({b['status']}); opinions: "
            + escape("; ".join(d["opinions"]) or "none")
        )


def _cell(value: Any) -> str:
    """A table cell: ratios to 4 places, money (decimal text) to 8, counts as they are."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, str):
        return f"{Decimal(value).quantize(Decimal('1e-8')).normalize():f}"
    return str(value)
