"""`quorum kill-switch on|off --reason … --by NAME`: the one trading state.

``on``: trading ``reducing`` at once (no new entries), every working order cancelled,
every position flattened (start-up reconciliation runs first, so the exits may be sent),
then ``halted`` once flat. It prints each position's exit order (id, state, filled) and
exits 1 when any cancel or flatten could not be done (the workers' next sweep flattens
what this process could not reach). ``off``: back to ``active``. Journaled with the caller."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from apps.bootstrap import build_pipeline, build_runtime
from apps.worker.dispatcher import pipeline_dispatcher
from quorum.errors import QuorumError
from quorum.pipeline.options import PipelineOptions

console = Console()


def kill_switch(
    state: str = typer.Argument(..., help="on | off"),
    reason: str = typer.Option(..., "--reason", help="Why (journaled)."),
    by: str | None = typer.Option(None, "--by", help="Who (default: the OS user)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Engage (on) or release (off) the kill switch."""
    if state not in ("on", "off"):
        raise typer.BadParameter("must be on or off", param_hint="STATE")
    caller = by or getpass.getuser()
    try:
        runtime = build_runtime()
    except QuorumError as exc:
        console.print(f"[red]start-up refused:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    closers: list[Callable[[], None]] = []
    try:
        dispatcher, close_dispatcher = pipeline_dispatcher(runtime.settings)
        closers.append(close_dispatcher)
        # reconciliation runs inside the engage, after the state is set (see control.py)
        tasks = build_pipeline(runtime, dispatcher, PipelineOptions(reconcile=False))
        closers.append(tasks.close)
        result = tasks.set_kill_switch(state == "on", by=caller, reason=reason)
    except (QuorumError, ValueError) as exc:
        console.print(f"[red]kill switch failed:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    finally:
        for close in reversed(closers):
            close()
        runtime.close()
    if as_json:
        typer.echo(json.dumps(result, indent=2, default=str))
    else:
        _print(result, caller, reason)
    if result.get("failures"):
        raise typer.Exit(1)


def _print(result: dict[str, Any], caller: str, reason: str) -> None:
    word = "[red]ENGAGED[/red]" if result["engaged"] else "[green]released[/green]"
    console.print(
        f"Kill switch {word} by {escape(caller)}: {escape(reason)} "
        f"(trading {escape(str(result['state']))})"
    )
    if not result["engaged"]:
        return
    console.print(
        f"cancels sent {result['cancels_sent']} (cancelled before sending "
        f"{result['cancelled_locally']}), failed {len(result['cancel_failures'])}"
    )
    for item in result["flattened"]:
        done = "filled" if item.get("filled") else item.get("state", item.get("intent"))
        line = f"flatten {item['symbol']} {item['quantity']}: {item['client_order_id']} {done}"
        console.print(
            escape(line) + (f" [red]{escape(item['error'])}[/red]" if "error" in item else "")
        )
    for left in result["positions_left"]:
        console.print(f"position still open: {escape(left)}")
    for failure in result["failures"]:
        console.print(f"[red]not done:[/red] {escape(failure)}")
