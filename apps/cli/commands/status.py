"""`quorum status [--json]`: positions, open orders, today's P&L, SAFE_MODE, lockouts, cooldown
and the kill switch, read from the database (nothing is reconciled or sent)."""

from __future__ import annotations

import json
from collections.abc import Callable

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from apps.bootstrap import build_pipeline, build_runtime
from apps.cli.options import settings_with_database
from quorum.errors import QuorumError
from quorum.pipeline import EmbeddedDispatcher, StatusReport
from quorum.pipeline.options import PipelineOptions

console = Console()


def status(
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    db: str | None = typer.Option(
        None, "--db", help="Database URL to read (e.g. the one `quorum run` printed)."
    ),
) -> None:
    """What the pipeline holds now and which switches are on."""
    try:
        runtime = build_runtime(None if db is None else settings_with_database(db))
    except QuorumError as exc:
        console.print(f"[red]start-up refused:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    closers: list[Callable[[], None]] = []
    try:
        tasks = build_pipeline(runtime, EmbeddedDispatcher(), PipelineOptions(reconcile=False))
        closers.append(tasks.close)
        report = tasks.status()
    except QuorumError as exc:
        console.print(f"[red]status failed:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    finally:
        for close in closers:
            close()
        runtime.close()
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), indent=2))
    else:
        print_status(report)


def print_status(report: StatusReport) -> None:
    kill = report.kill_switch
    console.print(
        f"[bold]Status[/bold] at {report.as_of.isoformat()} — mode {report.trading_mode}; "
        + (
            f"[red]KILL SWITCH ON[/red] (trading {kill.state}) by {escape(kill.by or '?')}: "
            f"{escape(kill.reason or '')}"
            if kill.engaged
            else "kill switch off (trading active)"
        )
    )
    if report.safe_mode is not None:
        mode = report.safe_mode
        console.print(f"[red]SAFE_MODE[/red] ({mode.cause}): {escape(mode.reason)}")
    for lock in report.lockouts:
        console.print(
            f"[yellow]lockout[/yellow] {lock.rule} until {lock.until}: {escape(lock.reason)}"
        )
    if report.cooldown_until is not None:
        console.print(f"[yellow]cooldown[/yellow] until {report.cooldown_until.isoformat()}")
    pnl = report.pnl
    console.print(
        f"P&L today: realized {pnl.realized_today}, unrealized {pnl.unrealized}; "
        f"equity {pnl.equity} (day start {pnl.day_start_equity})"
    )
    positions = Table(title="Positions")
    for column in ("venue", "symbol", "quantity", "entry", "stop", "mark", "unrealized"):
        positions.add_column(column)
    for p in report.positions:
        positions.add_row(
            p.venue,
            p.symbol,
            str(p.quantity),
            str(p.average_entry),
            str(p.stop),
            str(p.mark),
            str(p.unrealized_pnl),
        )
    console.print(positions)
    orders = Table(title="Open orders")
    for column in ("client id", "symbol", "side", "leg", "state", "quantity", "filled"):
        orders.add_column(column)
    for o in report.open_orders:
        orders.add_row(
            o.client_order_id,
            o.symbol,
            o.side,
            o.leg,
            o.state,
            str(o.quantity),
            str(o.filled_quantity),
        )
    console.print(orders)
