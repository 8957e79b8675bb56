"""Engines for SQLite (WAL, write lock taken at BEGIN) and PostgreSQL (psycopg 3).

SQLite: every connection runs ``PRAGMA journal_mode=WAL``, ``synchronous`` (FULL by
default), ``foreign_keys=ON`` and ``busy_timeout``. Transaction control follows the
SQLAlchemy recipe for the pysqlite driver ("Using SQLAlchemy to emit BEGIN in lieu of
SQLite's transaction control"): the driver's own implicit BEGIN is switched off with
``isolation_level = None`` in the ``connect`` hook and the ``begin`` hook emits
``BEGIN IMMEDIATE`` instead, so a transaction holds the database write lock from its
first statement and writers queue behind each other (waiting up to ``busy_timeout``)
rather than failing on a lock upgrade. A read-only connection can ask for a plain
deferred BEGIN with ``conn.execution_options(sqlite_begin="DEFERRED")``.

PostgreSQL: ``postgresql://`` URLs are driven by psycopg 3; ``schema`` sets the
connection's ``search_path`` (tests use a private schema each).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

from quorum.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///var/quorum.db"
"""The embedded default: a SQLite file relative to the working directory."""

SqliteSynchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]
SqliteBegin = Literal["IMMEDIATE", "DEFERRED", "EXCLUSIVE"]

SQLITE_BEGIN_OPTION = "sqlite_begin"
"""Execution option naming the BEGIN mode of a SQLite transaction (default IMMEDIATE)."""

BEGIN_MODE_INFO_KEY = "quorum.sqlite_begin"
"""``Connection.info`` key where the ``begin`` hook records the mode it used."""

_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
_BEGIN_MODES = ("IMMEDIATE", "DEFERRED", "EXCLUSIVE")


def normalize_url(url: str | URL) -> URL:
    """Parse ``url``; ``postgresql://`` and ``postgres://`` mean psycopg 3."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with the URL in it
        raise ConfigError(f"database url: not a SQLAlchemy URL ({type(exc).__name__})") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def sqlite_file(url: str | URL) -> Path | None:
    """The database file of a SQLite URL; ``None`` for in-memory or non-SQLite URLs."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def create_engine_for(
    url: str | URL = DEFAULT_DATABASE_URL,
    *,
    sqlite_synchronous: SqliteSynchronous = "FULL",
    busy_timeout_ms: int = 30_000,
    schema: str | None = None,
    echo: bool = False,
    **engine_kwargs: Any,
) -> Engine:
    """An engine configured for Quorum's stores (see the module docstring).

    ``sqlite_synchronous`` trades durability for speed on SQLite (FULL: every commit is
    fsynced). ``schema`` (PostgreSQL only) puts the tables in that schema via
    ``search_path``. Extra keyword arguments go to :func:`sqlalchemy.create_engine`.
    A SQLite file's parent directory is created if missing.
    """
    parsed = normalize_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if schema is not None:
            raise ConfigError(f"database schema {schema!r}: schemas are PostgreSQL-only")
        return _sqlite_engine(parsed, sqlite_synchronous, busy_timeout_ms, echo, engine_kwargs)
    if backend == "postgresql":
        if schema is not None:
            if not _SCHEMA_NAME.match(schema):
                raise ConfigError(
                    f"database schema {schema!r}: expected a plain identifier "
                    "(letters, digits, underscore; at most 63 characters)"
                )
            connect_args = dict(engine_kwargs.pop("connect_args", {}))
            connect_args["options"] = f"-c search_path={schema}"
            engine_kwargs["connect_args"] = connect_args
        engine_kwargs.setdefault("pool_pre_ping", True)
        return create_engine(parsed, echo=echo, **engine_kwargs)
    raise ConfigError(
        f"database url: backend {backend!r} is not supported (expected sqlite or postgresql)"
    )


def _sqlite_engine(
    url: URL,
    synchronous: str,
    busy_timeout_ms: int,
    echo: bool,
    engine_kwargs: dict[str, Any],
) -> Engine:
    if synchronous not in _SYNCHRONOUS:
        raise ConfigError(
            f"sqlite_synchronous: expected one of {', '.join(_SYNCHRONOUS)}, got {synchronous!r}"
        )
    if busy_timeout_ms < 0:
        raise ConfigError(f"busy_timeout_ms: expected >= 0, got {busy_timeout_ms}")
    path = sqlite_file(url)
    memory = path is None
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not engine_kwargs.get("poolclass"):
        # One shared connection, or every checkout would see a different empty database.
        engine_kwargs["poolclass"] = StaticPool
        engine_kwargs.setdefault("connect_args", {}).setdefault("check_same_thread", False)
    engine = create_engine(url, echo=echo, **engine_kwargs)
    _install_sqlite_hooks(engine, synchronous, busy_timeout_ms, wal=not memory)
    return engine


def _install_sqlite_hooks(engine: Engine, synchronous: str, busy_ms: int, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Switch off pysqlite's implicit BEGIN; the "begin" hook below emits our own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
            if wal:
                mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()
                if mode is None or str(mode[0]).lower() != "wal":
                    raise ConfigError(
                        f"sqlite: could not switch to WAL journal mode (got {mode!r})"
                    )
            cursor.execute(f"PRAGMA synchronous = {synchronous}")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
        if mode not in _BEGIN_MODES:
            raise ConfigError(
                f"execution option {SQLITE_BEGIN_OPTION}: expected one of "
                f"{', '.join(_BEGIN_MODES)}, got {mode!r}"
            )
        # Straight on the driver connection: the same statement the recipe's
        # ``exec_driver_sql`` sends, without a full execution context per transaction.
        conn.connection.dbapi_connection.execute(f"BEGIN {mode}")  # type: ignore[union-attr]
        conn.info[BEGIN_MODE_INFO_KEY] = mode
