"""``quorum db backup|restore``: copy the database to one file and back.

SQLite uses the online backup API (safe while the app runs); PostgreSQL uses pg_dump and
pg_restore (``--pg-bindir`` or ``PATH``; at least the server's major version). Each
backup gets ``<file>.manifest.json`` with its SHA-256 and the journal's size and head.
``restore`` refuses a target that holds tables unless ``--force``, and checks the restored
journal head against the manifest. Run ``quorum journal verify`` afterwards.

Exit codes: 0 done, 1 refused (non-empty target, damaged backup, mismatched journal),
2 could not run (bad option, missing tool, unreachable database).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError

from apps.cli.commands.db_checkpoints import carry_in, carry_out
from quorum.clock import SystemClock
from quorum.config import load_settings, mask_url
from quorum.errors import QuorumError
from quorum.store import (
    BackupError,
    BackupManifest,
    RestoreRefused,
    backup_database,
    manifest_path,
    restore_database,
)

app = typer.Typer(
    name="db",
    help="The database: backup to one file (with a manifest) and restore from it.",
    no_args_is_help=True,
)

DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: database.url from the settings)."),
]
BinOpt = Annotated[
    Path | None,
    typer.Option("--pg-bindir", help="Directory of pg_dump / pg_restore (default: PATH)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")]
CheckpointsOpt = Annotated[
    Path | None,
    typer.Option(
        "--checkpoints",
        help=(
            "The database's checkpoint directory (default: <sqlite file>-checkpoints, "
            "else var/journal-checkpoints/<journal id>); copied to/from "
            "<backup file>-checkpoints."
        ),
    ),
]


def _fail(message: str, code: int = 2) -> NoReturn:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] [red]{escape(message)}[/]")
    raise typer.Exit(code)


def _url(db: str | None) -> str:
    try:
        return db if db is not None else load_settings().database.url
    except QuorumError as exc:
        _fail(str(exc))


def _print(
    manifest: BackupManifest, verb: str, url: str, file: Path, as_json: bool, carried: str
) -> None:
    if as_json:
        out = manifest.model_dump(mode="json")
        out["database"] = mask_url(url)
        out["path"] = str(file)
        out["checkpoints"] = carried
        typer.echo(json.dumps(out, indent=2))
        return
    head = manifest.journal_head or "-"
    Console(soft_wrap=True).print(
        f"[bold green]{verb}[/] {escape(str(file))} ({manifest.dialect}, "
        f"{manifest.size_bytes} bytes, sha256 {manifest.sha256[:16]}…)\n"
        f"  database: {escape(mask_url(url))}\n"
        f"  revision: {manifest.revision or '-'}\n"
        f"  journal: {manifest.journal_count} entries, head {head}\n"
        f"  manifest: {escape(str(manifest_path(file)))}\n"
        f"  {escape(carried)}"
    )


@app.command("backup")
def backup(
    destination: Annotated[Path, typer.Argument(help="Backup file to write (must not exist).")],
    db: DbOpt = None,
    pg_bindir: BinOpt = None,
    checkpoints: CheckpointsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a consistent copy of the database and its manifest (and its checkpoints)."""
    url = _url(db)
    try:
        manifest = backup_database(
            url, destination, created_at=SystemClock().now(), pg_bindir=pg_bindir
        )
    except BackupError as exc:
        _fail(str(exc), code=1)
    except QuorumError as exc:
        _fail(str(exc))
    except (SQLAlchemyError, OSError) as exc:
        _fail(f"backup of {mask_url(url)} failed: {type(exc).__name__}: {exc}")
    carried = _carry(carry_out, url, destination, checkpoints)
    _print(manifest, "backed up to", url, destination, as_json, carried)


@app.command("restore")
def restore(
    source: Annotated[Path, typer.Argument(help="Backup file written by `quorum db backup`.")],
    db: DbOpt = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace the contents of a target that holds tables."),
    ] = False,
    pg_bindir: BinOpt = None,
    checkpoints: CheckpointsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Restore a backup into an empty database (or any, with --force); stop writers first."""
    url = _url(db)
    if not source.is_file():
        _fail(f"no backup file at {source}")
    try:
        manifest = restore_database(url, source, force=force, pg_bindir=pg_bindir)
    except RestoreRefused as exc:
        _fail(f"{exc}. Nothing was changed: restore into an empty database or add --force", 1)
    except BackupError as exc:
        _fail(str(exc), code=1)
    except QuorumError as exc:
        _fail(str(exc))
    except (SQLAlchemyError, OSError) as exc:
        _fail(f"restore into {mask_url(url)} failed: {type(exc).__name__}: {exc}")
    carried = _carry(carry_in, url, source, checkpoints)
    _print(manifest, "restored from", url, source, as_json, carried)


def _carry(
    step: Callable[[str, Path, Path | None], str], url: str, file: Path, checkpoints: Path | None
) -> str:
    try:
        return step(url, file, checkpoints)
    except QuorumError as exc:  # a fork or an unreadable checkpoint: the data step is done
        _fail(f"checkpoints: {exc}", code=1)
    except (SQLAlchemyError, OSError) as exc:
        _fail(f"checkpoints: {type(exc).__name__}: {exc}")
