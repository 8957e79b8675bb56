"""Signed checkpoints: when they are written, and the attacks only they reveal."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.unit.journal.journal_kit import (
    fill,
    make_journal,
    rewrite_chain,
    stored,
    tamper,
)

from quorum.clock import ReplayClock
from quorum.domain import format_time
from quorum.errors import JournalIntegrityError
from quorum.journal import (
    Checkpoint,
    DamageKind,
    DirectoryCheckpointStore,
    Ed25519Signer,
    Journal,
    Signature,
    sign_checkpoint,
    verify_journal,
)
from quorum.store import session_scope


@pytest.fixture
def journal(
    engine: Engine, clock: ReplayClock, signer: Ed25519Signer, checkpoint_dir: Path
) -> Journal:
    journal = make_journal(engine, clock, signer=signer, checkpoint_dir=checkpoint_dir, every_n=4)
    fill(journal, 12, per_commit=1)
    return journal


def sizes(directory: Path) -> list[int]:
    return sorted(int(p.name.split("-")[1]) for p in directory.glob("checkpoint-*.json"))


def test_a_checkpoint_is_written_after_every_n_committed_entries(
    journal: Journal, checkpoint_dir: Path
) -> None:
    assert sizes(checkpoint_dir) == [4, 8, 12]
    report = journal.verify()
    assert report.ok
    assert report.checkpoints_checked == 3
    assert report.trusted_keys


def test_entries_rolled_back_do_not_count_towards_a_checkpoint(
    journal: Journal, checkpoint_dir: Path
) -> None:

    def fails_after_appending() -> None:
        with session_scope(journal.engine) as session:
            journal.append(session, "scan", {"x": 1}, actor="scanner")
            raise RuntimeError("state change failed")

    for _ in range(4):
        with pytest.raises(RuntimeError):
            fails_after_appending()

    assert sizes(checkpoint_dir) == [4, 8, 12]
    assert journal.head().size == 12


def test_a_checkpoint_is_written_when_the_interval_has_passed(
    engine: Engine, clock: ReplayClock, checkpoint_dir: Path
) -> None:
    journal = make_journal(engine, clock, checkpoint_dir=checkpoint_dir, every_n=100, every_s=10)
    fill(journal, 2, per_commit=1)
    assert sizes(checkpoint_dir) == []

    clock.advance(timedelta(seconds=11))
    fill(journal, 1)

    assert sizes(checkpoint_dir) == [3]


def test_close_writes_a_final_checkpoint_once(
    engine: Engine, clock: ReplayClock, checkpoint_dir: Path
) -> None:
    journal = make_journal(engine, clock, checkpoint_dir=checkpoint_dir, every_n=100)
    fill(journal, 5)

    final = journal.close()

    assert final is not None
    assert final.size == 5
    assert journal.close() is None
    assert sizes(checkpoint_dir) == [5]


def test_a_failing_signer_does_not_fail_the_commit_and_is_remembered(
    engine: Engine, clock: ReplayClock, checkpoint_dir: Path
) -> None:
    class BrokenSigner(Ed25519Signer):
        def sign(self, message: bytes) -> Signature:
            raise OSError("hsm unreachable")

    journal = Journal(
        engine,
        clock,
        signer=BrokenSigner.generate(),
        checkpoint_store=DirectoryCheckpointStore(checkpoint_dir),
        checkpoint_every_n=1,
    )
    fill(journal, 2, per_commit=1)

    assert journal.head().size == 2
    assert isinstance(journal.last_checkpoint_error, OSError)
    assert sizes(checkpoint_dir) == []


def test_truncating_the_tail_below_a_checkpoint_is_truncated(journal: Journal) -> None:
    tamper(journal.engine, "DELETE FROM journal_entries WHERE seq > 9")

    report = journal.verify()

    assert (report.damage, report.first_bad_seq) == (DamageKind.TRUNCATED, 10)
    assert report.checkpoint is not None
    assert "000000000012" in report.checkpoint


def test_rewriting_the_whole_chain_consistently_is_rewritten_from_seq_one(
    journal: Journal,
) -> None:
    rewrite_chain(journal.engine, lambda row: row._replace(actor="mallory"), stored(journal.engine))

    report = journal.verify()

    assert (report.damage, report.first_bad_seq) == (DamageKind.REWRITTEN, 1)


def test_rewriting_after_a_checkpoint_is_rewritten_after_the_last_good_one(
    journal: Journal,
) -> None:
    rewrite_chain(
        journal.engine,
        lambda row: row._replace(payload='{"forged":1}') if row.seq == 6 else row,
        stored(journal.engine),
    )

    report = journal.verify()

    assert (report.damage, report.first_bad_seq) == (DamageKind.REWRITTEN, 5)


def test_editing_a_signed_checkpoint_is_forged(journal: Journal, checkpoint_dir: Path) -> None:
    path = next(checkpoint_dir.glob("checkpoint-000000000008-*.json"))
    data = json.loads(path.read_text())
    data["size"] = 7
    path.write_text(json.dumps(data))

    report = journal.verify()

    assert report.damage is DamageKind.CHECKPOINT_FORGED
    assert report.checkpoint == path.name
    assert "signature does not verify" in report.detail


def test_a_checkpoint_signed_by_another_key_is_forged(
    journal: Journal, checkpoint_dir: Path
) -> None:
    rows = stored(journal.engine)
    mallory = Ed25519Signer.generate()
    forged = sign_checkpoint(10, rows[9].hash, "2030-01-01T00:00:00.000000Z", mallory)
    DirectoryCheckpointStore(checkpoint_dir).put(forged)

    trusted = journal.verify()
    embedded = verify_journal(journal.engine, checkpoints=DirectoryCheckpointStore(checkpoint_dir))

    assert (trusted.damage, trusted.checkpoint) == (DamageKind.CHECKPOINT_FORGED, forged.name)
    assert "not a trusted key" in trusted.detail
    assert (embedded.damage, embedded.trusted_keys) == (DamageKind.CHECKPOINT_FORGED, False)


def test_an_unreadable_checkpoint_file_is_forged(journal: Journal, checkpoint_dir: Path) -> None:
    (checkpoint_dir / "checkpoint-000000000016-0000000000000000.json").write_text("{not json")

    report = journal.verify()

    assert report.damage is DamageKind.CHECKPOINT_FORGED
    assert report.checkpoint == "checkpoint-000000000016-0000000000000000.json"


def test_a_later_smaller_checkpoint_is_shrunk(
    journal: Journal, clock: ReplayClock, signer: Ed25519Signer, checkpoint_dir: Path
) -> None:
    rows = stored(journal.engine)
    clock.advance(timedelta(hours=1))
    later = sign_checkpoint(6, rows[5].hash, format_time(clock.now()), signer)
    DirectoryCheckpointStore(checkpoint_dir).put(later)

    report = journal.verify()

    assert (report.damage, report.first_bad_seq) == (DamageKind.CHECKPOINT_SHRUNK, 7)
    assert report.checkpoint == later.name


def test_two_signed_checkpoints_of_one_size_with_different_heads_are_a_fork(
    journal: Journal, signer: Ed25519Signer, checkpoint_dir: Path
) -> None:
    other = sign_checkpoint(8, "a" * 64, "2025-03-01T12:00:00.000000Z", signer)
    (checkpoint_dir / other.name).write_text(other.model_dump_json())

    report = journal.verify()

    assert (report.damage, report.first_bad_seq) == (DamageKind.CHECKPOINT_FORK, 5)


def test_the_store_never_overwrites_and_refuses_a_fork(
    tmp_path: Path, signer: Ed25519Signer
) -> None:
    store = DirectoryCheckpointStore(tmp_path / "cps")
    first = sign_checkpoint(3, "b" * 64, "2025-03-01T12:00:00.000000Z", signer)
    again = sign_checkpoint(3, "b" * 64, "2025-03-01T13:00:00.000000Z", signer)

    assert store.put(first) is True
    assert store.put(again) is False
    with pytest.raises(JournalIntegrityError, match="checkpoint fork"):
        store.put(sign_checkpoint(3, "c" * 64, "2025-03-01T14:00:00.000000Z", signer))
    assert [cp.model_dump() for cp in store.load()] == [first.model_dump()]
    assert [p.name for p in (tmp_path / "cps").iterdir()] == [first.name]


def test_a_checkpoint_round_trips_through_its_file(tmp_path: Path, signer: Ed25519Signer) -> None:
    checkpoint = sign_checkpoint(9, "d" * 64, "2025-03-01T12:00:00.000000Z", signer)
    store = DirectoryCheckpointStore(tmp_path)
    store.put(checkpoint)

    (loaded,) = store.load()

    assert loaded.model_dump() == checkpoint.model_dump()
    assert loaded.label == checkpoint.name
    assert Checkpoint.model_validate_json((tmp_path / checkpoint.name).read_text()) == checkpoint
