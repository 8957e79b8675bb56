"""The `quorum` command line (Typer + Rich). Thin: parse input, call libs, format output.

Sub-commands load lazily (click's "lazy loading of subcommands" pattern): :data:`COMMANDS`
names each one's module, attribute and one-line help, so ``quorum --help`` lists them all
without importing any, and ``quorum NAME …`` imports only ``NAME``'s module (and what it
needs: the pipeline, LangGraph, pandas …) when it runs. A test holds the table's help
texts to the commands' own.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import typer
from typer import _click as click  # Typer vendors click; its groups and commands are these
from typer.core import TyperCommand, TyperGroup
from typer.main import get_command_from_info, get_group
from typer.models import CommandInfo

from apps.cli import collector


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """Where a sub-command lives: ``module.attribute`` is a command function or a Typer app."""

    module: str
    attribute: str
    help: str


COMMANDS: dict[str, LazyCommand] = {
    "run": LazyCommand(
        "apps.cli.commands.run",
        "run",
        "The whole pipeline offline: plan → scan → analyze → execute → monitor, journaled.",
    ),
    "scan": LazyCommand(
        "apps.cli.commands.scan",
        "scan",
        "Scan symbols on several timeframes: indicators, patterns and regime.",
    ),
    "analyze": LazyCommand(
        "apps.cli.commands.analyze",
        "analyze",
        "Analyse one symbol: scan, analysts, debate, confluence score, risk gate → Signal.",
    ),
    "backtest": LazyCommand(
        "apps.cli.commands.backtest",
        "backtest",
        "Replay the real pipeline (or a rule strategy) over recorded bars; report the run.",
    ),
    "status": LazyCommand(
        "apps.cli.commands.status",
        "status",
        "What the pipeline holds now and which switches are on.",
    ),
    "kill-switch": LazyCommand(
        "apps.cli.commands.killswitch",
        "kill_switch",
        "Engage (on) or release (off) the kill switch.",
    ),
    "worker": LazyCommand(
        "apps.cli.commands.worker",
        "worker",
        "Run a Celery worker for the pipeline's queues (needs QUORUM_BROKER_URL).",
    ),
    "beat": LazyCommand(
        "apps.cli.commands.worker",
        "beat",
        "Run the beat scheduler (RedBeat). Run two for failover: one holds the lock, the\n"
        "other takes over within worker.beat_lock_timeout_s of the first one's death.",
    ),
    "version": LazyCommand("apps.cli.main", "version", "Print the installed version."),
    "api": LazyCommand(
        "apps.cli.commands.api",
        "app",
        "The HTTP API: serve it (default), or mint a bearer token.",
    ),
    "data": LazyCommand(
        "apps.cli.commands.data",
        "app",
        "Market data: validate bar files and import them into the local store.",
    ),
    "db": LazyCommand(
        "apps.cli.commands.db",
        "app",
        "The database: backup to one file (with a manifest) and restore from it.",
    ),
    "execution": LazyCommand(
        "apps.cli.commands.execution",
        "app",
        "Orders, reconciliation, the kill switch and the strategy throttle.",
    ),
    "venue": LazyCommand(
        "apps.cli.commands.venue",
        "app",
        "Local exchanges that speak a real venue's protocol.",
    ),
    "flags": LazyCommand("apps.cli.commands.flags", "app", "Read and flip runtime feature flags."),
    "journal": LazyCommand(
        "apps.cli.commands.journal",
        "app",
        "The audit journal: verify the hash chain and its checkpoints, show entries.",
    ),
    "llm": LazyCommand(
        "apps.cli.commands.llm",
        "app",
        "The LLM layer: spend by model, node, role, day or trade; the model registry and prices.",
    ),
    "bench": LazyCommand(
        "apps.cli.commands.bench",
        "app",
        "Benchmarks; results are JSON and recorded in benchmarks/README.md.",
    ),
}
"""Every sub-command of ``quorum``, in the order ``--help`` lists them."""


class _Placeholder(TyperCommand):
    """What ``--help`` and completion see of a sub-command that has not been loaded."""


def load_command(name: str, markup_mode: Any = None) -> click.Command:
    """The click command of sub-command ``name``, importing its module now."""
    entry = COMMANDS[name]
    with collector.paused():  # imports only add long-lived objects: no collector passes
        target = getattr(import_module(entry.module), entry.attribute)
    if isinstance(target, typer.Typer):
        group = get_group(target)
        group.name = name
        return group
    info = CommandInfo(name=name, callback=target)
    return get_command_from_info(info, pretty_exceptions_short=True, rich_markup_mode=markup_mode)


class LazyGroup(TyperGroup):
    """A Typer group whose sub-commands are imported only when one of them runs."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, entry in COMMANDS.items():
            self.commands.setdefault(name, _Placeholder(name, help=entry.help))

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and isinstance(command, _Placeholder):
            command = self.commands[name] = load_command(name, self.rich_markup_mode)
        return name, command, rest


app = typer.Typer(
    name="quorum",
    cls=LazyGroup,
    help="Quorum: multi-agent, LLM-assisted market analysis and trading orchestrator.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root() -> None:
    # A callback makes Typer build a group even though no command is registered on the
    # app itself (all of them come from COMMANDS); it does nothing.
    pass


def version() -> None:
    """Print the installed version."""
    from importlib.metadata import version as dist_version

    typer.echo(dist_version("quorum"))


def main() -> None:
    try:
        app()
    finally:
        # Interpreter teardown runs full collections while it clears the modules: over the
        # ~0.7 M objects a `quorum run` leaves that took 2-4 s of CPU. Frozen objects are
        # skipped; nothing is lost (atexit handlers, logging.shutdown, thread joins, the
        # flush of stdout and stderr and reference-count deallocation all still run).
        gc.freeze()
