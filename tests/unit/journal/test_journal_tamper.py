"""Tampering with the chain in the database: each attack is found with its seq and kind."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from tests.unit.journal.journal_kit import (
    fill,
    insert_row,
    make_journal,
    rehashed,
    shift_seq,
    stored,
    swap,
    tamper,
)

from quorum.clock import ReplayClock
from quorum.journal import GENESIS_HASH, DamageKind, Journal, VerifyReport

N = 12


@pytest.fixture
def journal(engine: Engine, clock: ReplayClock) -> Journal:
    journal = make_journal(engine, clock)
    fill(journal, N)
    assert journal.verify().ok
    return journal


def assert_damage(report: VerifyReport, kind: DamageKind, seq: int) -> None:
    assert not report.ok, report
    assert (report.damage, report.first_bad_seq) == (kind, seq), report.detail


def test_an_intact_chain_verifies_with_its_count_and_head(journal: Journal) -> None:
    report = journal.verify()

    assert report.ok
    assert report.count == N
    assert report.head_hash == stored(journal.engine)[-1].hash


def test_an_empty_journal_verifies_with_the_genesis_head(engine: Engine) -> None:
    report = make_journal(engine).verify()

    assert (report.ok, report.count, report.head_hash) == (True, 0, GENESIS_HASH)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("payload", '{"i":5,"forged":true}'),
        ("kind", "fill"),
        ("actor", "someone-else"),
        ("time", "2030-01-01T00:00:00.000000Z"),
        ("run_id", "run-x"),
        ("hash", "f" * 64),
    ],
)
def test_editing_one_field_is_modified_at_that_seq(
    journal: Journal, column: str, value: str
) -> None:
    tamper(journal.engine, f"UPDATE journal_entries SET {column} = :v WHERE seq = 6", v=value)

    assert_damage(journal.verify(), DamageKind.MODIFIED, 6)


def test_editing_prev_hash_is_modified_at_that_seq(journal: Journal) -> None:
    tamper(journal.engine, "UPDATE journal_entries SET prev_hash = :v WHERE seq = 4", v="0" * 64)

    report = journal.verify()

    assert_damage(report, DamageKind.MODIFIED, 4)
    assert "prev_hash" in report.detail


def test_setting_a_run_id_to_null_is_modified(journal: Journal) -> None:
    tamper(journal.engine, "UPDATE journal_entries SET run_id = NULL WHERE seq = 1")

    assert_damage(journal.verify(), DamageKind.MODIFIED, 1)


def test_editing_an_entry_and_rehashing_it_is_modified_at_that_seq(journal: Journal) -> None:
    rows = stored(journal.engine)
    forged = rehashed(rows[6], rows[5].hash, payload='{"i":6,"forged":true}')
    tamper(
        journal.engine,
        "UPDATE journal_entries SET payload = :p, hash = :h WHERE seq = 7",
        p=forged.payload,
        h=forged.hash,
    )

    report = journal.verify()

    assert_damage(report, DamageKind.MODIFIED, 7)
    assert "re-hashed" in report.detail


def test_deleting_from_the_middle_is_a_gap_at_the_first_missing_seq(journal: Journal) -> None:
    tamper(journal.engine, "DELETE FROM journal_entries WHERE seq IN (5, 6)")

    report = journal.verify()

    assert_damage(report, DamageKind.DELETED, 5)
    assert "5..6" in report.detail
    assert report.count == 4


def test_deleting_and_renumbering_to_close_the_gap_is_deleted(journal: Journal) -> None:
    tamper(journal.engine, "DELETE FROM journal_entries WHERE seq = 5")
    shift_seq(journal.engine, 6, -1)

    assert_damage(journal.verify(), DamageKind.DELETED, 5)


def test_swapping_two_neighbours_is_reordered_at_the_first(journal: Journal) -> None:
    swap(journal.engine, 8, 9)

    report = journal.verify()

    assert_damage(report, DamageKind.REORDERED, 8)
    assert "moved to seq 9" in report.detail


def test_swapping_distant_entries_is_reordered_at_the_first(journal: Journal) -> None:
    swap(journal.engine, 3, 10)

    assert_damage(journal.verify(), DamageKind.REORDERED, 3)


def test_inserting_a_well_formed_entry_is_inserted_at_its_seq(journal: Journal) -> None:
    rows = stored(journal.engine)
    shift_seq(journal.engine, 5, 1)
    insert_row(journal.engine, rehashed(rows[4], rows[3].hash, payload='{"forged":1}'))

    report = journal.verify()

    assert_damage(report, DamageKind.INSERTED, 5)
    assert "original entry 5 now sits at seq 6" in report.detail


def test_inserting_a_garbage_entry_is_inserted_at_its_seq(journal: Journal) -> None:
    rows = stored(journal.engine)
    shift_seq(journal.engine, 3, 1)
    insert_row(journal.engine, rows[2]._replace(payload='{"forged":1}', hash="e" * 64))

    assert_damage(journal.verify(), DamageKind.INSERTED, 3)


def test_renumbering_an_entry_below_one_is_modified_at_its_original_seq(journal: Journal) -> None:
    tamper(journal.engine, "UPDATE journal_entries SET seq = -7 WHERE seq = 7")

    report = journal.verify()

    assert_damage(report, DamageKind.MODIFIED, 7)
    assert "renumbered" in report.detail


def test_renumbering_an_entry_past_the_end_is_deleted_at_its_seq(journal: Journal) -> None:
    tamper(journal.engine, "UPDATE journal_entries SET seq = 1000 WHERE seq = 7")

    assert_damage(journal.verify(), DamageKind.DELETED, 7)


def test_text_that_is_not_utf8_is_modified_at_its_seq(journal: Journal) -> None:
    tamper(
        journal.engine,
        "UPDATE journal_entries SET actor = CAST(X'61FF62' AS TEXT) WHERE seq = 9",
    )

    report = journal.verify()

    assert_damage(report, DamageKind.MODIFIED, 9)
    assert "UTF-8" in report.detail


def test_truncating_the_tail_without_checkpoints_goes_unnoticed(journal: Journal) -> None:
    # Documented limit: without checkpoints the tail is not protected.
    tamper(journal.engine, "DELETE FROM journal_entries WHERE seq > 9")

    report = journal.verify()

    assert report.ok
    assert report.count == 9
