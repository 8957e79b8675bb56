"""``quorum worker`` and ``quorum beat``: Celery's worker and beat with our app and defaults.

Run one worker per queue group so that analysis never holds the pool that executes
orders, e.g. ``quorum worker --queues execute`` next to ``quorum worker --queues analyze``.
"""

from __future__ import annotations

import socket
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from quorum.config import load_settings
from quorum.config.settings.worker import QUEUES
from quorum.errors import QuorumError


def _fail(exc: Exception) -> NoReturn:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] [red]{escape(str(exc))}[/]")
    raise typer.Exit(code=1)


def worker_argv(
    queues: tuple[str, ...], concurrency: int, loglevel: str, pool: str, hostname: str
) -> list[str]:
    """The ``celery worker`` arguments ``quorum worker`` runs with."""
    return [
        "worker",
        "--queues",
        ",".join(queues),
        "--concurrency",
        str(concurrency),
        "--pool",
        pool,
        "--loglevel",
        loglevel,
        "--hostname",
        hostname,
        # Gossip and mingle only exchange revoke lists between workers at start; we do not
        # revoke, and without them a worker starts (and restarts) in about a second.
        "--without-gossip",
        "--without-mingle",
    ]


def worker(
    queues: str = typer.Option(
        ",".join(QUEUES),
        help="Comma-separated queues to consume (scan, analyze, execute, monitor). "
        "Production: one worker per group, e.g. --queues execute.",
    ),
    concurrency: int = typer.Option(
        0, min=0, help="Pool processes; 0 = the sum of worker.concurrency for the queues."
    ),
    loglevel: str = typer.Option("INFO", help="Celery log level."),
    pool: str = typer.Option("prefork", help="Celery pool (prefork | solo | threads)."),
    name: str = typer.Option("", help="Worker node name (default: <queues>@<host>)."),
) -> None:
    """Run a Celery worker for the pipeline's queues (needs QUORUM_BROKER_URL)."""
    selected = tuple(q.strip() for q in queues.split(",") if q.strip())
    try:
        settings = load_settings()
        size = concurrency or settings.worker.concurrency_for(selected)
        from apps.worker import get_app

        app = get_app()
    except (QuorumError, ValueError) as exc:
        _fail(exc)
    hostname = name or f"{'+'.join(selected)}@{socket.gethostname()}"
    app.worker_main(worker_argv(selected, size, loglevel, pool, hostname))


def beat(
    loglevel: str = typer.Option("INFO", help="Celery log level."),
) -> None:
    """Run the beat scheduler (RedBeat). Run two for failover: one holds the lock, the
    other takes over within worker.beat_lock_timeout_s of the first one's death."""
    try:
        from apps.worker import get_app

        app = get_app()
    except QuorumError as exc:
        _fail(exc)
    app.start(["beat", "--loglevel", loglevel])
