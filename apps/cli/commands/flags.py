"""``quorum flags``: read and flip runtime feature flags (every flip is audited)."""

from __future__ import annotations

import json
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from quorum.clock import SystemClock
from quorum.config import (
    FlagState,
    FlagStore,
    build_flag_store,
    build_secrets_provider,
    flag_spec,
    load_settings,
    make_live_guard,
)
from quorum.errors import QuorumError

app = typer.Typer(
    name="flags",
    help="Read and flip runtime feature flags.",
    no_args_is_help=True,
)


def _store() -> FlagStore:
    settings = load_settings()
    secrets = build_secrets_provider(settings)
    return build_flag_store(settings, clock=SystemClock(), guard=make_live_guard(settings, secrets))


def _fail(exc: QuorumError) -> NoReturn:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] [red]{escape(str(exc))}[/]")
    raise typer.Exit(code=1)


def _as_text(value: bool | str) -> str:
    return str(value).lower() if isinstance(value, bool) else value


@app.command("get")
def get(
    name: Annotated[str | None, typer.Argument(help="One flag, e.g. kill_switch.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show flags with their value, default and source (env, file, redis, default)."""
    try:
        store = _store()
        states: list[FlagState] = store.states()
        if name is not None:
            flag_spec(name)
            states = [state for state in states if state.name == name]
        version = store.version()
    except QuorumError as exc:
        _fail(exc)
    if as_json:
        flags = [state.model_dump(mode="json") for state in states]
        typer.echo(json.dumps({"version": version, "flags": flags}, indent=2))
        return
    table = Table(title=f"flags (version {version})")
    for column in ("name", "value", "default", "source"):
        table.add_column(column)
    for state in states:
        table.add_row(
            state.name, _as_text(state.value), _as_text(state.default), escape(state.source)
        )
    Console().print(table)


@app.command("set")
def set_(
    name: Annotated[str, typer.Argument(help="The flag, e.g. trading.mode.")],
    value: Annotated[str, typer.Argument(help="true/false for switches, or an allowed value.")],
    actor: Annotated[str, typer.Option("--actor", help="Who flips the flag.")],
    reason: Annotated[str, typer.Option("--reason", help="Why; kept in the audit log.")],
) -> None:
    """Flip one flag; trading.mode=live goes through the live guard first."""
    try:
        typed = flag_spec(name).parse(value, "command line")
        change = _store().set(name, typed, actor, reason)
    except QuorumError as exc:
        _fail(exc)
    Console().print(
        f"[green]{escape(name)}[/]: {escape(_as_text(change.old))} → "
        f"{escape(_as_text(change.new))} (version {change.version}, by {escape(actor)})"
    )
