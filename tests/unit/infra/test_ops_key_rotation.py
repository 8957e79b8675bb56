"""The secret-rotation runbook's claim: after a journal signing-key rotation, checkpoints
of both keys verify when both public keys are trusted (old by file, new by reference),
and do not verify when only one of them is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli.commands import journal as journal_cli
from quorum.clock import SystemClock
from quorum.domain import JournalKind
from quorum.journal import DirectoryCheckpointStore, Ed25519Signer, Journal, public_key_pem
from quorum.store import create_engine_for, migrate, session_scope


def append_with(url: str, checkpoints: Path, signer: Ed25519Signer, entries: int) -> None:
    engine = create_engine_for(url)
    migrate(engine)
    journal = Journal(
        engine, SystemClock(), signer=signer, checkpoint_store=DirectoryCheckpointStore(checkpoints)
    )
    for i in range(entries):
        with session_scope(engine) as session:
            journal.append(session, JournalKind.SCAN, {"i": i}, actor="rotation-test")
    journal.close()  # a checkpoint signed with this key
    engine.dispose()


@pytest.fixture
def rotated(tmp_path: Path) -> tuple[str, Path, Path, str]:
    url = f"sqlite:///{tmp_path / 'quorum.db'}"
    checkpoints = tmp_path / "checkpoints"
    checkpoints.mkdir()
    old, new = Ed25519Signer.generate(), Ed25519Signer.generate()
    append_with(url, checkpoints, old, 3)
    append_with(url, checkpoints, new, 2)  # after the rotation
    old_pem = tmp_path / "old.pub.pem"
    old_pem.write_text(public_key_pem(old.public_key()))
    return url, checkpoints, old_pem, public_key_pem(new.public_key())


def verify(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(journal_cli.app, ["verify", *args, "--json"], env=env)
    return result.exit_code, json.loads(result.output)


def test_checkpoints_of_the_old_and_new_key_verify_with_both_keys_trusted(
    rotated: tuple[str, Path, Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, checkpoints, old_pem, new_pem = rotated
    monkeypatch.setenv("QUORUM_JOURNAL_PUBLIC_KEY", new_pem)

    code, report = verify(
        "--db", url, "--checkpoints", str(checkpoints), "--public-key", str(old_pem),
        "--public-key-ref", "env:QUORUM_JOURNAL_PUBLIC_KEY",
    )  # fmt: skip

    assert code == 0, report
    assert report["checkpoints_checked"] == 2
    assert report["count"] == 5


def test_trusting_only_the_new_key_reports_the_old_checkpoints_as_forged(
    rotated: tuple[str, Path, Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, checkpoints, _, new_pem = rotated
    monkeypatch.setenv("QUORUM_JOURNAL_PUBLIC_KEY", new_pem)

    code, report = verify(
        "--db", url, "--checkpoints", str(checkpoints),
        "--public-key-ref", "env:QUORUM_JOURNAL_PUBLIC_KEY",
    )  # fmt: skip

    assert code == 1
    assert report["damage"] == "checkpoint_forged"


def test_without_trusted_keys_two_signing_keys_are_refused(
    rotated: tuple[str, Path, Path, str],
) -> None:
    url, checkpoints, _, _ = rotated

    code, report = verify("--db", url, "--checkpoints", str(checkpoints))

    assert code == 1
    assert report["damage"] == "checkpoint_forged"
