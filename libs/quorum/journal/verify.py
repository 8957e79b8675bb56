"""Verification: walk the chain, then hold it against the signed checkpoints.

Order matters. Checkpoints are loaded *before* the chain is read in one snapshot
(a deferred read transaction on SQLite, one server-side cursor on PostgreSQL), so
every checkpoint seen describes data the snapshot contains: a verifier running next
to live writers never mistakes a fresh checkpoint for truncation.

Walk: rows in seq order; each must carry the next seq, link to the previous stored
hash, and hash to its own stored hash (:mod:`quorum.journal.hashing`). The first row
that does not is classified by :mod:`quorum.journal.damage`. Checkpoints, when the
chain walked clean: signatures against the trusted keys (FORGED), same size with
different heads (CHECKPOINT_FORK), sizes shrinking in time order (CHECKPOINT_SHRUNK),
the chain's hash at each size (REWRITTEN), and the chain's length against the largest
size (TRUNCATED).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from quorum.errors import JournalIntegrityError
from quorum.journal.checkpoints import Checkpoint, CheckpointStore
from quorum.journal.checkpoints_check import check_checkpoints, evidence_sizes
from quorum.journal.damage import WINDOW, classify
from quorum.journal.hashing import DOMAIN_TAG, GENESIS_HASH
from quorum.journal.meta import read_meta_in
from quorum.journal.report import DamageKind, VerifyReport
from quorum.journal.rows import StoredRow, reader, row_cursor, window
from quorum.store import JOURNAL_TABLE_NAME


class _Walk:
    """State of one walk: how far it got, and the hashes at checkpoint sizes."""

    def __init__(self, sizes: Iterable[int]) -> None:
        self.sizes = frozenset(sizes)
        self.count = 0
        self.head = GENESIS_HASH
        self.at: dict[int, str] = {}
        self.bad: StoredRow | None = None

    def feed(self, rows: Iterable[tuple[Any, ...]]) -> bool:
        """Check ``rows`` (a list, or a driver cursor iterated directly); False (and
        ``bad`` set) at the first row that fails. Should reading raise part-way (SQLite
        text that is not UTF-8), ``count`` and ``head`` still end at the last good row.

        The hash is :func:`~quorum.journal.hashing.framed_hash` written out in the loop
        (a function call per row costs more than a quarter of the walk); the unit tests
        hold the two to the same result. (Hashing from a prebuilt ``sha256(tag)`` copy
        buys nothing: the tag is shorter than one 64-byte SHA-256 block.)
        """
        expected = self.count + 1
        prev = self.head
        sizes = self.sizes
        sha256 = hashlib.sha256
        tag = DOMAIN_TAG
        try:
            for row in rows:
                seq, time, kind, actor, run_id, payload, prev_hash, stored = row
                if run_id is None:
                    text = (
                        f"{tag}\x1f{seq}\x1f{time}\x1f{kind}\x1f{actor}\x1f{prev_hash}\x1f{payload}"
                    )
                    separators = 6
                else:
                    text = (
                        f"{tag}\x1f{seq}\x1f{time}\x1f{kind}\x1f{actor}\x1f{run_id}"
                        f"\x1f{prev_hash}\x1f{payload}"
                    )
                    separators = 7
                if (
                    seq != expected
                    or prev_hash != prev
                    or text.count("\x1f") != separators
                    or sha256(text.encode()).hexdigest() != stored
                ):
                    self.bad = StoredRow._make(row)
                    return False
                if seq in sizes:
                    self.at[seq] = stored
                prev = stored
                expected += 1
            return True
        finally:
            self.count, self.head = expected - 1, prev


def _walk(conn: Connection, walk: _Walk) -> None:
    with row_cursor(conn) as rows:
        walk.feed(rows)


def _chain_damage(conn: Connection, walk: _Walk, trusted: bool) -> VerifyReport | None:
    bad = walk.bad
    if bad is None:
        return None
    try:
        following = window(conn, bad.seq, WINDOW)
    except DBAPIError:  # an undecodable row further on: classify without the window
        following = []
    finding = classify(walk.count + 1, walk.head, bad, following)
    return VerifyReport(
        ok=False,
        count=walk.count,
        head_hash=walk.head,
        first_bad_seq=finding.first_bad_seq,
        damage=finding.damage,
        detail=finding.detail,
        trusted_keys=trusted,
    )


_BLOB_COLUMNS = ", ".join(
    f"CAST({name} AS BLOB)"
    for name in ("time", "kind", "actor", "run_id", "payload", "prev_hash", "hash")
)


def _walk_bytes(conn: Connection, walk: _Walk) -> VerifyReport | None:
    """SQLite handed back text that is not UTF-8: re-walk from where the fast walk was,
    reading raw bytes, and name the first row that does not decode."""
    where = "WHERE seq > :after " if walk.count else ""
    statement = text(  # built from constants only
        f"SELECT seq, {_BLOB_COLUMNS} FROM {JOURNAL_TABLE_NAME} "  # noqa: S608
        f"{where}ORDER BY seq"
    )
    for raw in conn.execute(statement, {"after": walk.count}):
        try:
            fields = [None if v is None else bytes(v).decode("utf-8") for v in raw[1:]]
        except UnicodeDecodeError:
            return VerifyReport(
                ok=False,
                count=walk.count,
                head_hash=walk.head,
                first_bad_seq=int(raw[0]),
                damage=DamageKind.MODIFIED,
                detail=f"entry {raw[0]}: a stored field is not valid UTF-8 text",
            )
        row = StoredRow(int(raw[0]), *fields)  # type: ignore[arg-type]
        if not walk.feed([row]):
            return None
    return None


def verify_journal(
    engine: Engine,
    *,
    checkpoints: CheckpointStore | Sequence[Checkpoint] | None = None,
    trusted_public_keys: Sequence[bytes] | None = None,
    allow_missing_checkpoints: bool = False,
) -> VerifyReport:
    """Walk the chain stored in ``engine`` and check it against ``checkpoints``.

    ``trusted_public_keys`` are raw Ed25519 public keys; without them signatures are only
    checked against the key embedded in the checkpoints, which must then be the same key
    for all of them (``trusted_keys=False`` in the report). With a checkpoint store, a
    journal that recorded its first checkpoint and finds none is CHECKPOINTS_MISSING
    unless ``allow_missing_checkpoints``.
    """
    loaded: list[Checkpoint] = []
    load_error: JournalIntegrityError | None = None
    if isinstance(checkpoints, CheckpointStore):
        try:
            loaded = checkpoints.load()
        except JournalIntegrityError as exc:
            load_error = exc
    elif checkpoints is not None:
        loaded = sorted(checkpoints, key=lambda cp: (cp.time, cp.size))
    walk = _Walk(evidence_sizes(loaded))
    with reader(engine) as conn, conn.begin():
        meta = read_meta_in(conn)
        if checkpoints is None:
            meta = meta._replace(checkpointed=None)  # checkpoints not asked for
        try:
            _walk(conn, walk)
        except sqlite3.OperationalError as exc:
            if "decode" not in str(exc):
                raise
            undecodable = _walk_bytes(conn, walk)
            if undecodable is not None:
                return undecodable
        damaged = _chain_damage(conn, walk, trusted_public_keys is not None)
    if damaged is not None:
        return damaged
    return check_checkpoints(
        count=walk.count,
        head=walk.head,
        hashes_at=walk.at,
        checkpoints=loaded,
        load_error=load_error,
        trusted_public_keys=trusted_public_keys,
        meta=meta,
        allow_missing=allow_missing_checkpoints,
    )
