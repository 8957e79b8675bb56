"""A journal that was checkpointed and finds no checkpoints says so (issue #19 item 2).

Before: an empty or absent checkpoint directory was accepted as "0 checkpoints" (or "not
checked"), so deleting every checkpoint file, or restoring the database somewhere else,
hid truncation and rewrites silently. The journal now records (append-only, in its own
database) that it stored a first checkpoint.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from tests.unit.journal.journal_kit import fill, make_journal
from typer.testing import CliRunner

from apps.cli.commands.journal import app
from quorum.clock import ReplayClock
from quorum.errors import JournalIntegrityError
from quorum.journal import (
    DirectoryCheckpointStore,
    Ed25519Signer,
    journal_id,
    read_meta,
    sign_checkpoint,
)


@pytest.fixture
def db(engine: Engine, clock: ReplayClock, signer: Ed25519Signer, tmp_path: Path) -> str:
    database = tmp_path / "journal.db"
    journal = make_journal(
        engine, clock, signer=signer, checkpoint_dir=Path(f"{database}-checkpoints"), every_n=5
    )
    fill(journal, 10, per_commit=1)
    return f"sqlite:///{database}"


def verify(*args: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(app, ["verify", "--json", *args])
    return result.exit_code, json.loads(result.stdout)


def test_the_journal_records_its_identity_and_its_first_checkpoint(db: str, engine: Engine) -> None:
    meta = read_meta(engine)

    assert meta.journal_id == journal_id(engine)
    assert meta.journal_id is not None
    assert meta.checkpointed is not None
    assert meta.checkpointed.startswith("5 ")
    checkpoint = next(Path(f"{db.removeprefix('sqlite:///')}-checkpoints").glob("*.json"))
    signed = json.loads(checkpoint.read_text())
    assert (signed["version"], signed["journal"]) == (2, meta.journal_id)


def test_the_record_is_append_only(db: str, engine: Engine) -> None:
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM journal_meta WHERE key = 'checkpointed'"))


@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_a_checkpointed_journal_without_checkpoints_is_checkpoints_missing(
    db: str, tmp_path: Path, how: str
) -> None:
    directory = tmp_path / "journal.db-checkpoints"
    shutil.rmtree(directory)
    if how == "emptied":
        directory.mkdir()

    code, report = verify("--db", db)
    allowed, accepted = verify("--db", db, "--allow-missing-checkpoints")
    chain_only, _ = verify("--db", db, "--no-checkpoints")

    assert (code, report["damage"]) == (1, "checkpoints_missing"), report
    assert "--checkpoints" in str(report["detail"])
    assert (allowed, accepted["ok"]) == (0, True)
    assert chain_only == 0


def test_a_restored_copy_without_its_checkpoints_is_checkpoints_missing(
    db: str, engine: Engine, tmp_path: Path
) -> None:
    engine.dispose()  # the WAL folded into the file, as a backup copies it
    restored = tmp_path / "elsewhere" / "restored.db"
    restored.parent.mkdir()
    shutil.copyfile(tmp_path / "journal.db", restored)

    code, report = verify("--db", f"sqlite:///{restored}")
    pointed, found = verify(
        "--db", f"sqlite:///{restored}", "--checkpoints", str(tmp_path / "journal.db-checkpoints")
    )

    assert (code, report["damage"]) == (1, "checkpoints_missing")
    assert (pointed, found["checkpoints_checked"]) == (0, 2)


def test_a_directory_refuses_a_checkpoint_of_another_journal_at_the_same_size(
    tmp_path: Path, signer: Ed25519Signer
) -> None:
    store = DirectoryCheckpointStore(tmp_path / "shared")
    time = "2025-03-01T12:00:00.000000Z"
    store.put(sign_checkpoint(5, "a" * 64, time, signer, "1" * 32))

    with pytest.raises(JournalIntegrityError, match=r"belongs to journal 1{32}"):
        store.put(sign_checkpoint(5, "b" * 64, time, signer, "2" * 32))
