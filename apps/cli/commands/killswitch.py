"""`quorum kill-switch on|off --reason …`: the one kill switch (flag, execution switch and
risk state together). Engaging cancels working orders and flattens positions; the
workers' next monitor pass flattens what only they can reach. Journaled with the caller."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable

import typer
from rich.console import Console
from rich.markup import escape

from apps.bootstrap import build_pipeline, build_runtime
from quorum.errors import QuorumError
from quorum.pipeline import EmbeddedDispatcher
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
        tasks = build_pipeline(runtime, EmbeddedDispatcher(), PipelineOptions(reconcile=False))
        closers.append(tasks.close)
        result = tasks.set_kill_switch(state == "on", by=caller, reason=reason)
    except (QuorumError, ValueError) as exc:
        console.print(f"[red]kill switch failed:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    finally:
        for close in closers:
            close()
        runtime.close()
    if as_json:
        typer.echo(json.dumps(result, indent=2, default=str))
        return
    word = "[red]ENGAGED[/red]" if result["engaged"] else "[green]released[/green]"
    console.print(f"Kill switch {word} by {escape(caller)}: {escape(reason)}")
    if result["engaged"]:
        console.print(
            f"cancels sent {result['cancels_sent']}, failures {len(result['cancel_failures'])}; "
            f"flatten orders {len(result['flattened'])}"
        )
