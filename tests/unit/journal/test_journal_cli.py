"""`quorum journal verify|show`: exit 0 intact, 1 damaged (seq and kind named), 2 unusable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.unit.journal.journal_kit import fill, make_journal, tamper
from typer.testing import CliRunner

from apps.cli.commands.journal import app
from quorum.clock import ReplayClock
from quorum.journal import Ed25519Signer, public_key_pem


@pytest.fixture
def db(engine: Engine, clock: ReplayClock, signer: Ed25519Signer, tmp_path: Path) -> str:
    """A journal of 10 entries with checkpoints in the default place, <file>-checkpoints."""
    database = tmp_path / "journal.db"
    journal = make_journal(
        engine, clock, signer=signer, checkpoint_dir=Path(f"{database}-checkpoints"), every_n=5
    )
    fill(journal, 10, per_commit=1)
    (tmp_path / "key.pub").write_text(public_key_pem(signer.public_key()))
    engine.dispose()
    return f"sqlite:///{database}"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_verify_an_intact_journal_exits_0_with_count_and_head(db: str, tmp_path: Path) -> None:
    code, out, _ = run("verify", "--db", db, "--public-key", str(tmp_path / "key.pub"))

    assert code == 0, out
    assert "journal intact" in out
    assert "10 entries" in out
    assert "checkpoints: 2" in out


def test_verify_json_reports_the_damage_kind_and_first_bad_seq(db: str, engine: Engine) -> None:
    tamper(engine, "UPDATE journal_entries SET payload = '{}' WHERE seq = 7")

    code, out, _ = run("verify", "--db", db, "--json")

    report = json.loads(out)
    assert code == 1
    assert (report["ok"], report["damage"], report["first_bad_seq"]) == (False, "modified", 7)
    assert report["checkpoint_dir"].endswith("journal.db-checkpoints")


def test_verify_names_truncation_below_a_checkpoint(db: str, engine: Engine) -> None:
    tamper(engine, "DELETE FROM journal_entries WHERE seq > 8")

    code, out, _ = run("verify", "--db", db)

    assert code == 1
    assert "truncated" in out
    assert "seq 9" in out


def test_verify_with_an_untrusted_public_key_reports_forged_checkpoints(
    db: str, tmp_path: Path
) -> None:
    other = tmp_path / "other.pub"
    other.write_text(public_key_pem(Ed25519Signer.generate().public_key()))

    code, out, _ = run("verify", "--db", db, "--public-key", str(other))

    assert code == 1
    assert "checkpoint_forged" in out


def test_verify_a_missing_database_exits_2(tmp_path: Path) -> None:
    code, _, err = run("verify", "--db", f"sqlite:///{tmp_path / 'absent.db'}")

    assert code == 2
    assert "no SQLite database" in err
    assert not (tmp_path / "absent.db").exists()


def test_show_filters_by_seq_and_kind(db: str) -> None:
    code, out, _ = run("show", "--db", db, "--since", "4", "--kind", "opinion", "--json")

    entries = json.loads(out)
    assert code == 0
    assert [e["seq"] for e in entries] == [4]
    assert entries[0]["kind"] == "opinion"


def test_show_prints_a_table_and_refuses_a_time_without_offset(db: str) -> None:
    code, out, _ = run("show", "--db", db, "--limit", "3")
    bad, _, err = run("show", "--db", db, "--since", "2025-03-01T12:00:00")

    assert code == 0
    assert "journal (3 entries)" in out
    assert bad == 2
    assert "offset" in err
