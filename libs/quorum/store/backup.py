"""Database backup and restore: SQLite's online backup API, PostgreSQL's pg_dump/pg_restore.

``backup_database(url, file, created_at=…)`` writes one self-contained file and a manifest
next to it (``<file>.manifest.json``): dialect, SHA-256 and size of the file, the Alembic
revision and the audit journal's size and head hash *in the same snapshot as the copy*
(SQLite: read from the copy itself; PostgreSQL: pg_dump runs on a snapshot exported by
the transaction that reads the head). The file appears only when complete (temporary
name, fsync, rename) and an existing backup is never overwritten.

``restore_database(url, file)`` checks the file against its manifest, refuses a target
that already holds tables unless ``force=True``, restores, then reads the journal head of
the target and refuses to call the restore done unless it equals the manifest's. Stop
every writer first: a restore replaces what the target holds.

PostgreSQL needs ``pg_dump``/``pg_restore`` at least as new as the server, from
``pg_bindir`` or ``PATH``; the password goes to them through ``PGPASSWORD``, never argv.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, text
from sqlalchemy.engine import URL

from quorum.errors import ConfigError, QuorumError
from quorum.store.engine import create_engine_for, normalize_url, sqlite_file
from quorum.store.tables import JOURNAL_TABLE_NAME

Dialect = Literal["sqlite", "postgresql"]
MANIFEST_SUFFIX = ".manifest.json"
_CHUNK = 1 << 20
# Constants only: the journal table's name is fixed in quorum.store.tables.
_COUNT_SQL = f"SELECT count(*) FROM {JOURNAL_TABLE_NAME}"  # noqa: S608
_HEAD_SQL = f"SELECT hash FROM {JOURNAL_TABLE_NAME} ORDER BY seq DESC LIMIT 1"  # noqa: S608
_PG_TABLES_SQL = (
    "SELECT n.nspname || '.' || c.relname FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg\\_%' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
    "ORDER BY 1"
)


class BackupError(QuorumError):
    """A backup or restore could not be made, or its result does not match the manifest."""


class RestoreRefused(BackupError):
    """The restore target already holds tables and ``force`` was not given."""


class BackupManifest(BaseModel):
    """What a backup file holds, written next to it as ``<file>.manifest.json``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = 1
    dialect: Dialect
    created_at: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
    file: str = Field(min_length=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size_bytes: int = Field(ge=1)
    revision: str | None
    """The Alembic revision of the copied schema (``None``: never migrated)."""
    journal_count: int = Field(ge=0)
    journal_head: str | None = Field(pattern=r"^[0-9a-f]{64}$")
    """Hash of the last journal entry (``None`` when the journal is empty or absent)."""


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + MANIFEST_SUFFIX)


def read_manifest(backup: Path) -> BackupManifest:
    """The manifest of ``backup``; :class:`BackupError` when missing or malformed."""
    path = manifest_path(backup)
    try:
        return BackupManifest.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise BackupError(f"manifest {path}: cannot read ({type(exc).__name__})") from None
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) or "(root)" for e in exc.errors())
        raise BackupError(
            f"manifest {path}: invalid ({fields}); expected a backup manifest"
        ) from None


def backup_database(
    url: str | URL, destination: Path, *, created_at: datetime, pg_bindir: Path | None = None
) -> BackupManifest:
    """Copy the database at ``url`` into ``destination`` (which must not exist)."""
    dialect = _dialect(url)
    destination = Path(destination)
    if destination.exists() or manifest_path(destination).exists():
        raise BackupError(f"backup {destination}: already exists; backups are never overwritten")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        if dialect == "sqlite":
            revision, count, head = _sqlite_backup(url, partial)
        else:
            revision, count, head = _pg_backup(url, partial, pg_bindir)
        digest, size = _digest(partial)
        _fsync(partial)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    manifest = BackupManifest(
        dialect=dialect,
        created_at=_canonical(created_at),
        file=destination.name,
        sha256=digest,
        size_bytes=size,
        revision=revision,
        journal_count=count,
        journal_head=head,
    )
    target = manifest_path(destination)
    target.write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    _fsync(target)
    return manifest


def restore_database(
    url: str | URL, backup: Path, *, force: bool = False, pg_bindir: Path | None = None
) -> BackupManifest:
    """Restore ``backup`` into the database at ``url``; return the backup's manifest."""
    dialect = _dialect(url)
    manifest = read_manifest(backup)
    if manifest.dialect != dialect:
        raise BackupError(
            f"backup {backup}: made from {manifest.dialect}, the target is {dialect}; "
            "restore into the same kind of database"
        )
    digest, size = _digest(backup)
    if (digest, size) != (manifest.sha256, manifest.size_bytes):
        raise BackupError(
            f"backup {backup}: SHA-256 {digest[:16]}… ({size} bytes) does not match the "
            f"manifest's {manifest.sha256[:16]}… ({manifest.size_bytes} bytes); the file is "
            "damaged or not the one the manifest describes"
        )
    tables = database_tables(url)
    if tables and not force:
        shown = ", ".join(tables[:5]) + (" …" if len(tables) > 5 else "")
        raise RestoreRefused(
            f"restore target holds {len(tables)} table(s) ({shown}); expected an empty "
            "database (force=True replaces its contents)"
        )
    if dialect == "sqlite":
        _sqlite_restore(url, backup)
    else:
        _pg_restore(url, backup, pg_bindir, clean=bool(tables))
    count, head = _restored_head(url)
    if (count, head) != (manifest.journal_count, manifest.journal_head):
        raise BackupError(
            f"restored journal has {count} entries ending {head}, the manifest says "
            f"{manifest.journal_count} ending {manifest.journal_head}"
        )
    return manifest


def database_tables(url: str | URL) -> list[str]:
    """Tables (and views, sequences) in the database at ``url``; ``[]`` when empty."""
    if _dialect(url) == "sqlite":
        path = sqlite_file(url)
        if path is None or not path.exists() or path.stat().st_size == 0:
            return []
        with contextlib.closing(sqlite3.connect(path)) as conn:
            rows = conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            ).fetchall()
        return [str(name) for (name,) in rows]
    engine = create_engine_for(url)
    try:
        with engine.connect() as conn:
            names = conn.execute(text(_PG_TABLES_SQL)).scalars().all()
    finally:
        engine.dispose()
    return [str(name) for name in names]


# --------------------------------------------------------------------------- SQLite


def _sqlite_path(url: str | URL) -> Path:
    path = sqlite_file(url)
    if path is None:
        raise ConfigError(f"database url {url!s}: an in-memory SQLite database has no backup")
    return path


def _sqlite_backup(url: str | URL, partial: Path) -> tuple[str | None, int, str | None]:
    source = _sqlite_path(url)
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(partial)) as dst,
    ):
        src.execute("PRAGMA busy_timeout = 30000")
        # The online backup API copies a consistent snapshot while writers carry on.
        src.backup(dst)
        # One self-contained file: no -wal / -shm companions to carry around.
        dst.execute("PRAGMA journal_mode = DELETE")
        (check,) = dst.execute("PRAGMA integrity_check").fetchone()
        if check != "ok":
            raise BackupError(f"backup of {source}: integrity_check says {check!r}")
        return _sqlite_revision(dst), *_sqlite_head(dst)


def _sqlite_restore(url: str | URL, backup: Path) -> None:
    target = _sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        contextlib.closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        dst.execute("PRAGMA busy_timeout = 30000")
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = WAL")


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    if not _sqlite_has(conn, "alembic_version"):
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


def _sqlite_head(conn: sqlite3.Connection) -> tuple[int, str | None]:
    if not _sqlite_has(conn, JOURNAL_TABLE_NAME):
        return 0, None
    (count,) = conn.execute(_COUNT_SQL).fetchone()
    row = conn.execute(_HEAD_SQL).fetchone()
    return int(count), None if row is None else str(row[0])


def _sqlite_has(conn: sqlite3.Connection, table: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    return row is not None


# --------------------------------------------------------------------------- PostgreSQL


def _pg_backup(
    url: str | URL, partial: Path, bindir: Path | None
) -> tuple[str | None, int, str | None]:
    pg_dump = _pg_tool("pg_dump", bindir)
    engine = create_engine_for(url)
    try:
        with engine.connect() as plain:
            conn = plain.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                # pg_dump reads exactly the snapshot this transaction reads the head in.
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                revision = _pg_revision(conn)
                count, head = _pg_head(conn)
                _run(
                    [
                        pg_dump,
                        "--format=custom",
                        f"--snapshot={snapshot}",
                        f"--file={partial}",
                        f"--dbname={_libpq_uri(url)}",
                    ],
                    url,
                    "pg_dump",
                )
    finally:
        engine.dispose()
    return revision, count, head


def _pg_restore(url: str | URL, backup: Path, bindir: Path | None, *, clean: bool) -> None:
    argv = [
        _pg_tool("pg_restore", bindir),
        "--exit-on-error",
        "--single-transaction",
        "--no-owner",
        "--no-privileges",
        f"--dbname={_libpq_uri(url)}",
    ]
    if clean:
        argv += ["--clean", "--if-exists"]
    _run([*argv, str(backup)], url, "pg_restore")


def _pg_revision(conn: Connection) -> str | None:
    if conn.execute(text("SELECT to_regclass('alembic_version')")).scalar() is None:
        return None
    value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if value is None else str(value)


def _pg_head(conn: Connection) -> tuple[int, str | None]:
    if conn.execute(text(f"SELECT to_regclass('{JOURNAL_TABLE_NAME}')")).scalar() is None:
        return 0, None
    count = conn.execute(text(_COUNT_SQL)).scalar_one()
    head = conn.execute(text(_HEAD_SQL)).scalar()
    return int(count), None if head is None else str(head)


def _pg_tool(name: str, bindir: Path | None) -> str:
    found = str(bindir / name) if bindir is not None else shutil.which(name)
    if found is None or not os.access(found, os.X_OK):
        where = f"in {bindir}" if bindir is not None else "on PATH"
        raise ConfigError(f"{name}: not found {where}; install the PostgreSQL client tools")
    return found


def _libpq_uri(url: str | URL) -> str:
    """The URL for libpq without the driver suffix and without the password."""
    parsed = normalize_url(url).set(drivername="postgresql", password=None)
    return parsed.render_as_string(hide_password=False)


def _run(argv: list[str], url: str | URL, what: str) -> None:
    env = dict(os.environ)
    password = normalize_url(url).password
    if password is not None:
        env["PGPASSWORD"] = str(password)
    # argv: a resolved pg_dump/pg_restore path and options we build; no shell.
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise BackupError(f"{what} exited {result.returncode}: {' | '.join(detail)}")


# --------------------------------------------------------------------------- shared


def _dialect(url: str | URL) -> Dialect:
    backend = normalize_url(url).get_backend_name()
    if backend == "sqlite":
        return "sqlite"
    if backend == "postgresql":
        return "postgresql"
    raise ConfigError(f"database url: backend {backend!r} has no backup (sqlite or postgresql)")


def _restored_head(url: str | URL) -> tuple[int, str | None]:
    if _dialect(url) == "sqlite":
        with contextlib.closing(sqlite3.connect(_sqlite_path(url))) as conn:
            return _sqlite_head(conn)
    engine = create_engine_for(url)
    try:
        with engine.connect() as conn:
            return _pg_head(conn)
    finally:
        engine.dispose()


def _digest(path: Path) -> tuple[str, int]:
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            sha.update(chunk)
            size += len(chunk)
    if size == 0:
        raise BackupError(f"backup {path}: the file is empty")
    return sha.hexdigest(), size


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _canonical(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("created_at: expected a timezone-aware datetime")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
