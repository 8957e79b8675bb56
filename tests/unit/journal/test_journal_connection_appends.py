"""Appends through a plain Connection count towards checkpoints (issue #19 item 4).

Before: only Session appends were counted (the session ``after_commit`` hook), so entries
appended through a Connection never made a checkpoint due: with ``every_n=5``, four
Connection appends and one Session append left the chain unchecked."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from tests.unit.journal.journal_kit import make_journal

from quorum.clock import ReplayClock
from quorum.domain import JournalKind
from quorum.journal import DirectoryCheckpointStore, Ed25519Signer
from quorum.store import session_scope


def test_connection_appends_make_a_checkpoint_due(
    engine: Engine, clock: ReplayClock, signer: Ed25519Signer, checkpoint_dir: Path
) -> None:
    journal = make_journal(engine, clock, signer=signer, checkpoint_dir=checkpoint_dir, every_n=5)
    for n in range(4):
        with engine.connect() as conn, conn.begin():
            journal.append(conn, JournalKind.SCAN, {"n": n}, actor="raw")
    with session_scope(engine) as session:
        journal.append(session, JournalKind.SCAN, {"n": 4}, actor="session")

    sizes = [cp.size for cp in DirectoryCheckpointStore(checkpoint_dir).load()]

    assert sizes == [5]
    assert journal.verify().ok
