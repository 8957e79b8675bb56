"""Verify names where a consistent rewrite begins, as far as the signed hashes allow
(issue #19 item 4).

Before: a rewrite from entry 161 on, with checkpoints at sizes 3 and 200, was reported
"rewritten at seq 4" (one past the last agreeing checkpoint). Version 2 checkpoints also
sign the chain's hash at ``size - 2**k``; verify bisects between the largest agreeing and
the smallest disagreeing signed hash.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.unit.journal.journal_kit import fill, make_journal, rewrite_chain, stored

from quorum.clock import ReplayClock
from quorum.journal import DamageKind, Ed25519Signer, Journal


def _journal_checkpointed_at(
    engine: Engine, clock: ReplayClock, signer: Ed25519Signer, directory: Path, sizes: list[int]
) -> Journal:
    journal = make_journal(engine, clock, signer=signer, checkpoint_dir=directory)
    done = 0
    for size in sizes:
        fill(journal, size - done)
        journal.checkpoint()
        done = size
    return journal


def _rewrite_from(journal: Journal, seq: int) -> None:
    rewrite_chain(
        journal.engine,
        lambda row: row._replace(payload='{"forged":1}') if row.seq >= seq else row,
        stored(journal.engine),
    )


@pytest.mark.parametrize(
    ("sizes", "first", "where"),
    [
        ([3, 200], 137, "lies in 137..168"),  # 200's anchors: 136 agrees, 168 does not
        ([3, 162, 200], 161, "entry 161 is the first rewritten one"),  # 162's: 160, 161
    ],
)
def test_a_rewrite_from_entry_161_is_bisected_between_the_signed_hashes(
    engine: Engine,
    clock: ReplayClock,
    signer: Ed25519Signer,
    checkpoint_dir: Path,
    sizes: list[int],
    first: int,
    where: str,
) -> None:
    journal = _journal_checkpointed_at(engine, clock, signer, checkpoint_dir, sizes)
    _rewrite_from(journal, 161)

    report = journal.verify()

    assert (report.damage, report.first_bad_seq) == (DamageKind.REWRITTEN, first), report
    assert where in report.detail


def test_anchors_are_signed(
    engine: Engine, clock: ReplayClock, signer: Ed25519Signer, checkpoint_dir: Path
) -> None:
    journal = _journal_checkpointed_at(engine, clock, signer, checkpoint_dir, [3, 10])
    path = next(checkpoint_dir.glob("checkpoint-000000000010-*.json"))
    text = path.read_text()
    anchor = journal.read(since_seq=9, limit=1)[0].hash
    path.write_text(text.replace(anchor, "0" * 64))

    assert journal.verify().damage is DamageKind.CHECKPOINT_FORGED
