"""Alembic in code: migrate to head, idempotent, append-only guard, new numbered revisions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

import quorum.store.schema as store_schema
from quorum.store import (
    JOURNAL_TABLE_NAME,
    MIGRATIONS_DIR,
    create_engine_for,
    current_revision,
    downgrade,
    head_revision,
    metadata,
    migrate,
)


def test_migrate_creates_the_journal_table_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"

    migrate(url)
    migrate(url)

    engine = create_engine_for(url)
    assert current_revision(engine) == head_revision()
    columns = [c["name"] for c in inspect(engine).get_columns(JOURNAL_TABLE_NAME)]
    assert columns == ["seq", "time", "kind", "actor", "run_id", "payload", "prev_hash", "hash"]
    engine.dispose()


def test_the_journal_table_refuses_update_and_delete(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'q.db'}")
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO {JOURNAL_TABLE_NAME} "
                "VALUES (1, 't', 'k', 'a', NULL, '{}', 'p', 'h')"
            )
        )
    for statement in (
        f"UPDATE {JOURNAL_TABLE_NAME} SET actor = 'x'",
        f"DELETE FROM {JOURNAL_TABLE_NAME}",
    ):
        with pytest.raises(IntegrityError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    engine.dispose()


def test_downgrade_to_base_drops_the_tables(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'q.db'}")
    migrate(engine)

    downgrade(engine, "base")

    assert JOURNAL_TABLE_NAME not in inspect(engine).get_table_names()
    assert current_revision(engine) is None
    engine.dispose()


def test_the_metadata_matches_the_migrated_schema(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_engine_for(f"sqlite:///{tmp_path / 'q.db'}")
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()

    assert diff == []


def test_make_revision_writes_the_next_numbered_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(store_schema, "MIGRATIONS_DIR", copy)

    head = store_schema.head_revision()
    following = f"{int(head) + 1:04d}"

    path = store_schema.make_revision("add orders table", autogenerate=False)

    assert path.parent == copy / "versions"
    assert path.name.startswith(f"{following}_add_orders_table")
    source = path.read_text()
    assert f"revision: str = '{following}'" in source
    assert f"down_revision: str | Sequence[str] | None = '{head}'" in source
    assert store_schema.head_revision() == following


def test_the_module_command_upgrades_and_reports_the_revision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from quorum.store.__main__ import main

    url = f"sqlite:///{tmp_path / 'q.db'}"

    assert main(["--db", url, "upgrade"]) == 0
    assert main(["--db", url, "current"]) == 0
    head = head_revision()
    assert capsys.readouterr().out.splitlines()[-1] == f"database: {head}  newest: {head}"
