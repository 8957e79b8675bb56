"""SQLite engines: WAL, synchronous, foreign keys, busy timeout, write lock at BEGIN."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from quorum.errors import ConfigError
from quorum.store import (
    DEFAULT_DATABASE_URL,
    SQLITE_BEGIN_OPTION,
    create_engine_for,
    normalize_url,
    sqlite_file,
)


def test_a_sqlite_engine_creates_its_directory_and_sets_the_pragmas(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'nested' / 'q.db'}", busy_timeout_ms=1234)
    with engine.connect() as conn:
        pragmas = {
            name: conn.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    engine.dispose()

    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": 1234,
    }
    assert (tmp_path / "nested" / "q.db").is_file()


def test_synchronous_is_configurable(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'q.db'}", sqlite_synchronous="NORMAL")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1
    engine.dispose()


def test_a_transaction_holds_the_write_lock_from_its_begin(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    engine = create_engine_for(f"sqlite:///{path}")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with engine.begin() as conn:
            conn.execute(text("SELECT 1"))  # a read only: the lock is already held
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()
        engine.dispose()


def test_a_deferred_reader_does_not_take_the_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    engine = create_engine_for(f"sqlite:///{path}")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with engine.connect() as conn:
            conn.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
            with conn.begin():
                conn.execute(text("SELECT 1"))
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
    finally:
        other.close()
        engine.dispose()


def test_the_default_url_is_a_sqlite_file_under_var() -> None:
    assert sqlite_file(DEFAULT_DATABASE_URL) == Path("var/quorum.db")
    assert sqlite_file("sqlite://") is None


def test_postgresql_urls_use_psycopg_3() -> None:
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    ("url", "kwargs", "message"),
    [
        ("mysql://u@h/db", {}, "not supported"),
        ("sqlite:///x.db", {"schema": "s"}, "PostgreSQL-only"),
        ("postgresql://u@h/db", {"schema": "bad-name"}, "plain identifier"),
        ("sqlite:///x.db", {"sqlite_synchronous": "SOMETIMES"}, "sqlite_synchronous"),
        ("::not a url::", {}, "not a SQLAlchemy URL"),
    ],
)
def test_bad_settings_are_config_errors_naming_them(
    url: str, kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        create_engine_for(url, **kwargs)  # type: ignore[arg-type]


def test_an_in_memory_database_is_shared_by_every_checkout() -> None:
    engine = create_engine_for("sqlite://")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
    engine.dispose()
