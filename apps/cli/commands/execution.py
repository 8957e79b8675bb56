"""``quorum execution``: strategy throttle, orders, reconciliation (see `quorum kill-switch`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from apps.bootstrap import build_journal
from quorum.clock import SystemClock
from quorum.config import build_secrets_provider, load_settings
from quorum.domain import OrderState
from quorum.errors import QuorumError
from quorum.execution import ExecutionService, ReconcileReport
from quorum.ports import Broker
from quorum.store import create_engine_for, migrate, session_factory

app = typer.Typer(
    name="execution",
    help="Orders, reconciliation, the kill switch and the strategy throttle.",
    no_args_is_help=True,
)

DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: database.url from the settings)."),
]
VenueOpt = Annotated[
    str | None,
    typer.Option(
        "--venue",
        help="The venue simulator's URL (`quorum venue serve`, e.g. http://127.0.0.1:8765), "
        "reached through ccxt's binance class with its local test key.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ByOpt = Annotated[str, typer.Option("--by", help="Who does this (recorded in the journal).")]


def _fail(message: str, code: int = 1) -> NoReturn:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] [red]{escape(message)}[/]")
    raise typer.Exit(code)


@contextmanager
def _service(db: str | None, venue: str | None) -> Iterator[ExecutionService]:
    """The execution service over the one checkpointing journal (see
    ``apps.bootstrap.build_journal``); its final checkpoint is written on the way out."""
    settings = load_settings()
    url = db if db is not None else settings.database.url
    engine = create_engine_for(url)
    migrate(engine)
    clock = SystemClock()
    journal = build_journal(settings, engine, clock, build_secrets_provider(settings), url)
    brokers: dict[str, Broker] = {}
    if venue is not None:
        from quorum.execution.paper.binance.connect import simulator_broker

        broker = simulator_broker(venue, clock)
        brokers[broker.name] = broker
    try:
        yield ExecutionService(session_factory(engine), journal, clock, brokers)
    finally:
        try:
            journal.close()
        finally:
            engine.dispose()


def _reconcile_configured(db: str | None) -> list[ReconcileReport]:
    """A pass over the brokers the composition root builds for the pipeline."""
    from apps.bootstrap import build_pipeline, build_runtime
    from apps.cli.options import settings_with_database
    from quorum.pipeline import EmbeddedDispatcher
    from quorum.pipeline.options import PipelineOptions

    runtime = build_runtime(None if db is None else settings_with_database(db))
    try:
        tasks = build_pipeline(runtime, EmbeddedDispatcher(), PipelineOptions(reconcile=False))
        try:
            return tasks.deps.execution.reconcile()
        finally:
            tasks.close()
    finally:
        runtime.close()


@app.command("enable-strategy")
def enable_strategy(
    strategy: Annotated[str, typer.Argument(help="The strategy the throttle disabled.")],
    by: ByOpt,
    db: DbOpt = None,
) -> None:
    """Re-enable a strategy disabled by the repeated-execution throttle."""
    try:
        with _service(db, None) as service:
            changed = service.enable_strategy(strategy, by)
    except (QuorumError, ValueError) as exc:
        _fail(str(exc))
    typer.echo(f"{strategy} re-enabled by {by}" if changed else f"{strategy} was not disabled")


@app.command("orders")
def orders(
    state: Annotated[
        list[str] | None, typer.Option("--state", help="Only these states (repeatable).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1)] = 100,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List stored orders with their state and fills."""
    try:
        states = {OrderState(s) for s in state} if state else None
    except ValueError:
        _fail(f"--state: expected one of {', '.join(s.value for s in OrderState)}")
    try:
        with _service(db, None) as service:
            rows = service.orders(states, limit=limit)
    except QuorumError as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps([o.summary() for o in rows], default=str, indent=2))
        return
    table = Table("client_order_id", "venue", "symbol", "side", "qty", "state", "filled", "avg")
    for o in rows:
        table.add_row(
            o.client_order_id,
            o.venue,
            o.symbol,
            o.side.value,
            str(o.quantity),
            o.state.value,
            str(o.filled_quantity),
            "" if o.average_price is None else str(o.average_price),
        )
    Console().print(table)


@app.command("reconcile")
def reconcile(venue: VenueOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """One reconciliation pass; prints the drift it fixed. Without --venue: the venues the
    pipeline trades on (the paper venue in the database, the configured live exchange)."""
    try:
        if venue is None:
            reports = _reconcile_configured(db)
        else:
            with _service(db, venue) as service:
                reports = service.reconcile()
    except QuorumError as exc:
        _fail(str(exc))
    drifts = [d for r in reports for d in r.drifts]
    if as_json:
        typer.echo(json.dumps(drifts, default=str, indent=2))
    else:
        typer.echo(f"{len(drifts)} drift(s) fixed")
        for drift in drifts:
            typer.echo(f"  {json.dumps(drift, default=str)}")
