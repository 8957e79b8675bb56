"""`quorum db backup|restore` round trips on SQLite and the real PostgreSQL server.

Each test writes a signed journal (entries + checkpoints outside the database), backs the
database up through the CLI, restores it into another database and then runs
`quorum journal verify` against the restored copy with the original checkpoints and the
trusted public key: the restore is done only when the journal verifies.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from apps.cli.commands import db as db_cli
from apps.cli.commands import journal as journal_cli
from quorum.clock import SystemClock
from quorum.domain import JournalKind
from quorum.journal import DirectoryCheckpointStore, Ed25519Signer, Journal, public_key_pem
from quorum.store import (
    BackupManifest,
    create_engine_for,
    database_tables,
    manifest_path,
    migrate,
    read_manifest,
    session_scope,
)

runner = CliRunner()


@dataclass(frozen=True)
class Written:
    checkpoints: Path
    public_key: Path
    count: int


def write_journal(url: str, tmp: Path, signer: Ed25519Signer, entries: int) -> Written:
    """Migrate ``url`` and append ``entries`` entries, checkpointing every 3 and at close."""
    checkpoints = tmp / "checkpoints"
    checkpoints.mkdir(exist_ok=True)
    engine = create_engine_for(url)
    migrate(engine)
    journal = Journal(
        engine,
        SystemClock(),
        signer=signer,
        checkpoint_store=DirectoryCheckpointStore(checkpoints),
        checkpoint_every_n=3,
    )
    for i in range(entries):
        with session_scope(engine) as session:
            journal.append(session, JournalKind.SCAN, {"i": i}, actor="backup-test")
    journal.close()
    engine.dispose()
    public_key = tmp / "journal.pub.pem"
    public_key.write_text(public_key_pem(signer.public_key()), encoding="ascii")
    return Written(checkpoints, public_key, entries)


def cli(app: object, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))  # type: ignore[arg-type]
    return result.exit_code, result.output


def verify(url: str, written: Written) -> tuple[int, dict[str, object]]:
    code, out = cli(
        journal_cli.app,
        "verify",
        "--db",
        url,
        "--checkpoints",
        str(written.checkpoints),
        "--public-key",
        str(written.public_key),
        "--json",
    )
    return code, json.loads(out)


# --------------------------------------------------------------------------- SQLite


@pytest.fixture
def signer() -> Ed25519Signer:
    return Ed25519Signer.generate()


def test_sqlite_backup_and_restore_round_trip_and_the_journal_verifies(
    tmp_path: Path, signer: Ed25519Signer
) -> None:
    source = f"sqlite:///{tmp_path / 'live.db'}"
    target = f"sqlite:///{tmp_path / 'restored' / 'quorum.db'}"
    written = write_journal(source, tmp_path, signer, entries=7)
    backup = tmp_path / "backups" / "quorum.sqlite"

    code, out = cli(db_cli.app, "backup", str(backup), "--db", source, "--json")
    assert code == 0, out
    manifest = read_manifest(backup)
    assert manifest.dialect == "sqlite"
    assert manifest.journal_count == 7
    assert json.loads(out)["sha256"] == manifest.sha256

    code, out = cli(db_cli.app, "restore", str(backup), "--db", target)
    assert code == 0, out

    code, report = verify(target, written)
    assert code == 0, report
    assert report["ok"] is True
    assert report["count"] == 7
    assert int(str(report["checkpoints_checked"])) >= 3  # at 3, 6 and the shutdown one at 7
    assert report["head_hash"] == manifest.journal_head


def test_sqlite_backup_is_one_self_contained_file_without_wal_companions(
    tmp_path: Path, signer: Ed25519Signer
) -> None:
    source = f"sqlite:///{tmp_path / 'live.db'}"
    write_journal(source, tmp_path, signer, entries=2)
    backup = tmp_path / "b.sqlite"

    assert cli(db_cli.app, "backup", str(backup), "--db", source)[0] == 0

    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("b.")) == [
        "b.sqlite",
        "b.sqlite.manifest.json",
    ]
    assert backup.read_bytes()[18:20] == b"\x01\x01"  # rollback journal, not WAL


def test_restore_refuses_a_non_empty_target_without_force_and_leaves_it_alone(
    tmp_path: Path, signer: Ed25519Signer
) -> None:
    (tmp_path / "a").mkdir()
    source = f"sqlite:///{tmp_path / 'live.db'}"
    write_journal(source, tmp_path / "a", signer, entries=4)
    other = Ed25519Signer.generate()
    target_dir = tmp_path / "other"
    target_dir.mkdir()
    target = f"sqlite:///{target_dir / 'busy.db'}"
    target_written = write_journal(target, target_dir, other, entries=2)
    backup = tmp_path / "b.sqlite"
    assert cli(db_cli.app, "backup", str(backup), "--db", source)[0] == 0

    code, out = cli(db_cli.app, "restore", str(backup), "--db", target)

    assert code == 1
    assert "restore target holds" in out
    assert "--force" in out
    assert verify(target, target_written)[1]["count"] == 2  # untouched


def test_restore_with_force_replaces_a_non_empty_target(
    tmp_path: Path, signer: Ed25519Signer
) -> None:
    (tmp_path / "a").mkdir()
    source = f"sqlite:///{tmp_path / 'live.db'}"
    written = write_journal(source, tmp_path / "a", signer, entries=5)
    target_dir = tmp_path / "other"
    target_dir.mkdir()
    target = f"sqlite:///{target_dir / 'busy.db'}"
    write_journal(target, target_dir, Ed25519Signer.generate(), entries=9)
    backup = tmp_path / "b.sqlite"
    assert cli(db_cli.app, "backup", str(backup), "--db", source)[0] == 0

    code, out = cli(db_cli.app, "restore", str(backup), "--db", target, "--force")

    assert code == 0, out
    code, report = verify(target, written)
    assert (code, report["count"]) == (0, 5)


def test_restore_refuses_a_backup_that_does_not_match_its_manifest(
    tmp_path: Path, signer: Ed25519Signer
) -> None:
    source = f"sqlite:///{tmp_path / 'live.db'}"
    write_journal(source, tmp_path, signer, entries=3)
    backup = tmp_path / "b.sqlite"
    assert cli(db_cli.app, "backup", str(backup), "--db", source)[0] == 0
    data = bytearray(backup.read_bytes())
    data[-1] ^= 0xFF
    backup.write_bytes(bytes(data))
    target = tmp_path / "restored.db"

    code, out = cli(db_cli.app, "restore", str(backup), "--db", f"sqlite:///{target}")

    assert code == 1
    assert "does not match the manifest" in out
    assert not target.exists()


def test_backup_never_overwrites_an_existing_backup(tmp_path: Path, signer: Ed25519Signer) -> None:
    source = f"sqlite:///{tmp_path / 'live.db'}"
    write_journal(source, tmp_path, signer, entries=1)
    backup = tmp_path / "b.sqlite"
    backup.write_bytes(b"precious")

    code, out = cli(db_cli.app, "backup", str(backup), "--db", source)

    assert code == 1
    assert "never overwritten" in out
    assert backup.read_bytes() == b"precious"


def test_restoring_an_older_backup_shows_the_lost_tail_as_truncation(
    tmp_path: Path, signer: Ed25519Signer
) -> None:
    """The runbook's warning: entries checkpointed after the backup cannot come back."""
    source = f"sqlite:///{tmp_path / 'live.db'}"
    written = write_journal(source, tmp_path, signer, entries=3)
    backup = tmp_path / "b.sqlite"
    assert cli(db_cli.app, "backup", str(backup), "--db", source)[0] == 0
    write_journal(source, tmp_path, signer, entries=3)  # seq 4..6, checkpointed at close
    target = f"sqlite:///{tmp_path / 'restored.db'}"

    assert cli(db_cli.app, "restore", str(backup), "--db", target)[0] == 0
    code, report = verify(target, written)

    assert code == 1
    assert report["damage"] == "truncated"
    assert report["first_bad_seq"] == 4


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg_bindir() -> Path:
    value = os.environ.get("QUORUM_TEST_PG_BINDIR")
    if not value:
        if os.environ.get("CI") == "true":
            pytest.fail("QUORUM_TEST_PG_BINDIR is not set and CI=true", pytrace=False)
        pytest.skip("QUORUM_TEST_PG_BINDIR is not set (run the tests through `make test`)")
    return Path(value)


@pytest.fixture
def pg_databases(postgres_url: str) -> Iterator[tuple[str, str]]:
    """Two fresh databases on the test server: (source, target) URLs."""
    suffix = uuid.uuid4().hex[:10]
    names = (f"qbk_src_{suffix}", f"qbk_dst_{suffix}")
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f"CREATE DATABASE {name}"))
    base = make_url(postgres_url)
    urls = tuple(base.set(database=name).render_as_string(hide_password=False) for name in names)
    try:
        yield urls[0], urls[1]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def test_postgres_backup_and_restore_round_trip_and_the_journal_verifies(
    tmp_path: Path, signer: Ed25519Signer, pg_bindir: Path, pg_databases: tuple[str, str]
) -> None:
    source, target = pg_databases
    written = write_journal(source, tmp_path, signer, entries=8)
    backup = tmp_path / "quorum.pgdump"
    bindir = ["--pg-bindir", str(pg_bindir)]

    code, out = cli(db_cli.app, "backup", str(backup), "--db", source, *bindir)
    assert code == 0, out
    manifest = BackupManifest.model_validate_json(manifest_path(backup).read_text())
    assert (manifest.dialect, manifest.journal_count) == ("postgresql", 8)
    assert manifest.revision is not None
    assert database_tables(target) == []

    code, out = cli(db_cli.app, "restore", str(backup), "--db", target, *bindir)
    assert code == 0, out

    code, report = verify(target, written)
    assert code == 0, report
    assert (report["count"], report["head_hash"]) == (8, manifest.journal_head)
    engine = create_engine_for(target)
    with engine.begin() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text("DELETE FROM journal_entries"))  # the guard triggers came back
    engine.dispose()


def test_postgres_restore_refuses_a_non_empty_target_unless_forced(
    tmp_path: Path, signer: Ed25519Signer, pg_bindir: Path, pg_databases: tuple[str, str]
) -> None:
    source, target = pg_databases
    written = write_journal(source, tmp_path, signer, entries=4)
    (tmp_path / "t").mkdir()
    write_journal(target, tmp_path / "t", Ed25519Signer.generate(), entries=6)
    backup = tmp_path / "quorum.pgdump"
    bindir = ["--pg-bindir", str(pg_bindir)]
    assert cli(db_cli.app, "backup", str(backup), "--db", source, *bindir)[0] == 0

    refused, out = cli(db_cli.app, "restore", str(backup), "--db", target, *bindir)
    forced, forced_out = cli(db_cli.app, "restore", str(backup), "--db", target, "--force", *bindir)

    assert refused == 1, out
    assert "public.alembic_version" in out
    assert forced == 0, forced_out
    code, report = verify(target, written)
    assert (code, report["count"]) == (0, 4)


def test_backup_and_restore_carry_the_checkpoints_so_a_plain_verify_checks_them(
    tmp_path: Path, signer: Ed25519Signer
) -> None:
    """Issue #19 item 2: a restored SQLite file used to get no checkpoints directory, so a
    plain `quorum journal verify` printed "not checked"."""
    live = tmp_path / "live.db"
    engine = create_engine_for(f"sqlite:///{live}")
    migrate(engine)
    journal = Journal(
        engine,
        SystemClock(),
        signer=signer,
        checkpoint_store=DirectoryCheckpointStore(Path(f"{live}-checkpoints")),
        checkpoint_every_n=3,
    )
    for i in range(7):
        with session_scope(engine) as session:
            journal.append(session, JournalKind.SCAN, {"i": i}, actor="backup-test")
    journal.close()
    engine.dispose()
    backup = tmp_path / "backups" / "quorum.sqlite"
    restored = tmp_path / "restored" / "quorum.db"

    code, out = cli(db_cli.app, "backup", str(backup), "--db", f"sqlite:///{live}")
    assert code == 0, out
    assert "checkpoints: 3 copied to" in out
    code, out = cli(db_cli.app, "restore", str(backup), "--db", f"sqlite:///{restored}")
    assert code == 0, out
    code, out = cli(journal_cli.app, "verify", "--db", f"sqlite:///{restored}", "--json")

    report = json.loads(out)
    assert code == 0, report
    assert report["checkpoint_store"] == f"{restored}-checkpoints"
    assert (report["checkpoints_checked"], report["latest_checkpoint_size"]) == (3, 7)
