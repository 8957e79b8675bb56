"""Naming the first damage the chain walk found (rules documented in README.md).

The walk stops at the first row that breaks a rule: its seq is not the next one
(``seq != expected``), it does not link to the previous stored hash, or its fields do
not hash to its stored hash. This module looks at that row and a window of rows after
it and decides *what* happened. The key tool is a row's **origin**: the seq ``s`` for
which the row's own fields (with ``seq = s``) hash to its stored hash — where the row
was originally written. A row whose origin differs from its position was moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from quorum.journal.hashing import framed_hash
from quorum.journal.report import DamageKind
from quorum.journal.rows import StoredRow

WINDOW = 256
"""How far (in entries) moves are traced; beyond it a move reads as a deletion."""


class Finding(NamedTuple):
    damage: DamageKind
    first_bad_seq: int
    detail: str


def _hash_as(row: StoredRow, seq: int, prev_hash: str | None = None) -> str | None:
    return framed_hash(
        seq,
        row.time,
        row.kind,
        row.actor,
        row.run_id,
        row.prev_hash if prev_hash is None else prev_hash,
        row.payload,
    )


def origin(row: StoredRow, around: int, span: int = WINDOW) -> int | None:
    """The seq (other than the row's own) near ``around`` the row was written with."""
    for candidate in range(max(1, around - span), around + span + 1):
        if candidate != row.seq and _hash_as(row, candidate) == row.hash:
            return candidate
    return None


def _short(digest: str) -> str:
    return digest[:16] + "…"


def classify(
    expected: int, prev_hash: str, row: StoredRow, following: Sequence[StoredRow]
) -> Finding:
    """Name the damage at ``row``, found where entry ``expected`` should be.

    ``prev_hash`` is the stored hash of entry ``expected - 1`` (or the genesis hash);
    ``following`` are the rows stored after ``row``, in seq order.
    """
    if row.seq < expected:
        moved_from = origin(row, expected)
        if moved_from is not None:
            return Finding(
                DamageKind.MODIFIED,
                moved_from,
                f"entry {moved_from} was renumbered to seq {row.seq}",
            )
        return Finding(
            DamageKind.INSERTED,
            row.seq,
            f"an entry with seq {row.seq} follows seq {expected - 1} (expected {expected})",
        )
    if row.seq > expected:
        missing = (
            f"entry {expected} is"
            if row.seq == expected + 1
            else f"entries {expected}..{row.seq - 1} are"
        )
        return Finding(
            DamageKind.DELETED,
            expected,
            f"{missing} missing (the next stored seq is {row.seq})",
        )
    return _classify_in_place(expected, prev_hash, row, following)


def _classify_in_place(
    seq: int, prev_hash: str, row: StoredRow, following: Sequence[StoredRow]
) -> Finding:
    if _hash_as(row, seq) == row.hash:
        # Self-consistent but not linked to its predecessor.
        if seq == 1:
            return Finding(DamageKind.MODIFIED, 1, "entry 1 does not link to the genesis hash")
        return Finding(
            DamageKind.MODIFIED,
            seq - 1,
            f"entry {seq} links to {_short(row.prev_hash)}, not to entry {seq - 1}'s stored "
            f"hash {_short(prev_hash)}: entry {seq - 1} was rewritten and re-hashed "
            f"(or entry {seq} replaced)",
        )
    if row.prev_hash != prev_hash and _hash_as(row, seq, prev_hash) == row.hash:
        return Finding(DamageKind.MODIFIED, seq, f"entry {seq}: its prev_hash field was changed")
    moved_from = origin(row, seq)
    if moved_from is not None and moved_from > seq:
        for later in following:
            if _hash_as(later, seq) == later.hash:
                return Finding(
                    DamageKind.REORDERED,
                    seq,
                    f"entry {seq} was moved to seq {later.seq}; entry {moved_from} now "
                    f"sits at seq {seq}",
                )
        return Finding(
            DamageKind.DELETED,
            seq,
            f"entries {seq}..{moved_from - 1} were deleted and the later entries "
            f"renumbered (entry {moved_from} now sits at seq {seq})",
        )
    if moved_from is not None:
        count = seq - moved_from
        return Finding(
            DamageKind.INSERTED,
            moved_from,
            f"{count} entr{'y was' if count == 1 else 'ies were'} inserted at seq "
            f"{moved_from}..{seq - 1}; the original entry {moved_from} now sits at seq {seq}",
        )
    if following and _hash_as(following[0], seq) == following[0].hash:
        return Finding(
            DamageKind.INSERTED,
            seq,
            f"an entry was inserted at seq {seq}; the original entry {seq} now sits at "
            f"seq {following[0].seq}",
        )
    return Finding(
        DamageKind.MODIFIED,
        seq,
        f"entry {seq}: the stored fields do not hash to the stored hash {_short(row.hash)}",
    )
