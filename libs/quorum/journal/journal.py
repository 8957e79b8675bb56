"""The audit journal: append inside the caller's transaction, read, verify, checkpoint.

``append`` writes one entry with the caller's session or connection, so the entry
commits or rolls back together with the state change it records. Appends are
serialised by the database: on SQLite the transaction already holds the write lock
(``BEGIN IMMEDIATE`` from :func:`quorum.store.create_engine_for`); on PostgreSQL
``pg_advisory_xact_lock`` on a key derived from the journal table's OID is taken inside
the transaction before the head is read (use READ COMMITTED, the default, so the head
read after the lock sees the previous writer's commit). ``seq`` is the primary key, so
even a writer that bypassed the lock could not fork the chain: its insert would fail.

Checkpoints are written after commit (a session ``after_commit`` hook) every
``checkpoint_every_n`` entries appended by this process or ``checkpoint_every_s``
seconds, by :meth:`Journal.checkpoint` from a periodic task, and by :meth:`close`.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from quorum.clock import Clock
from quorum.domain import JournalEntry, JournalKind, format_time
from quorum.domain.codecs import ensure_utc
from quorum.errors import ConfigError, ValidationFailed
from quorum.journal.checkpoints import Checkpoint, CheckpointStore, sign_checkpoint
from quorum.journal.drafts import (
    HEAD_SQL,
    Draft,
    Head,
    Prepared,
    engine_of,
    fast_entry,
    fetch_head,
    prepare,
)
from quorum.journal.export import export_jsonl
from quorum.journal.hashing import GENESIS_HASH, anchor_sizes, entry_hash
from quorum.journal.meta import JournalMeta, read_meta_in, record_checkpointed
from quorum.journal.report import VerifyReport
from quorum.journal.rows import (
    COLUMNS,
    StoredRow,
    raw_connection,
    reader,
    select_entries,
    to_entry,
)
from quorum.journal.signers import CheckpointSigner
from quorum.journal.verify import verify_journal
from quorum.store import BEGIN_MODE_INFO_KEY, JOURNAL_TABLE_NAME, journal_table
from quorum.telemetry.metrics import metrics
from quorum.telemetry.tracing import span, tracing_active

_log = logging.getLogger(__name__)

LOCK_NAMESPACE = 0x51524D4A
"""High 32 bits of the PostgreSQL advisory lock key ("QRMJ"); the low 32 are the
journal table's OID, so journals in different schemas do not block each other."""

_PG_LOCK = (
    f"SELECT pg_advisory_xact_lock(({LOCK_NAMESPACE}::bigint << 32) "
    f"| '{JOURNAL_TABLE_NAME}'::regclass::oid::bigint)"
)
_INSERT_SQL = {
    mark: f"INSERT INTO {JOURNAL_TABLE_NAME} ({COLUMNS}) VALUES ({', '.join([mark] * 8)})"  # noqa: S608
    for mark in ("?", "%s")
}
_RETRY_AFTER_FAILURE_S = 30.0


class Journal:
    """The hash-chained audit journal of one database."""

    def __init__(
        self,
        store: Engine | sessionmaker[Any],
        clock: Clock,
        signer: CheckpointSigner | None = None,
        checkpoint_store: CheckpointStore | None = None,
        checkpoint_every_n: int = 1000,
        checkpoint_every_s: float = 60.0,
    ) -> None:
        if checkpoint_every_n < 1 or checkpoint_every_s <= 0:
            raise ConfigError(
                "journal checkpoints: checkpoint_every_n must be >= 1 and checkpoint_every_s "
                f"> 0 (got {checkpoint_every_n}, {checkpoint_every_s})"
            )
        if (signer is None) != (checkpoint_store is None):
            raise ConfigError("journal checkpoints: give both a signer and a checkpoint store")
        self._engine = engine_of(store)
        self._clock = clock
        self._signer = signer
        self._checkpoints = checkpoint_store
        self._every_n = checkpoint_every_n
        self._every_s = checkpoint_every_s
        self._table = journal_table()
        self._head_query = (
            select(self._table.c.seq, self._table.c.hash)
            .order_by(self._table.c.seq.desc())
            .limit(1)
        )
        self._state = threading.Lock()
        self._checkpointing = threading.Lock()
        self._pending = 0
        self._last_checkpoint_at = clock.monotonic()
        self._retry_at = 0.0
        self._last_checkpoint_size = 0
        self._meta: JournalMeta | None = None
        self.last_checkpoint_error: Exception | None = None

    def __repr__(self) -> str:
        return f"Journal(engine={self._engine.url!r}, checkpoints={self._checkpoints!r})"

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def checkpoint_store(self) -> CheckpointStore | None:
        return self._checkpoints

    @property
    def signer(self) -> CheckpointSigner | None:
        return self._signer

    # -- writing ---------------------------------------------------------------------

    def append(
        self,
        session: Session | Connection,
        kind: JournalKind | str,
        payload: Mapping[str, Any],
        actor: str,
        run_id: str | None = None,
    ) -> JournalEntry:
        """Append one entry in the transaction of ``session``; the caller commits."""
        return self._write(session, [prepare(kind, payload, actor, run_id)])[0]

    def append_many(
        self, session: Session | Connection, drafts: Iterable[Draft]
    ) -> list[JournalEntry]:
        """Append several entries in order, with one lock and one head read."""
        prepared = [prepare(d.kind, d.payload, d.actor, d.run_id) for d in drafts]
        if not prepared:
            return []
        return self._write(session, prepared)

    def _write(self, session: Session | Connection, prepared: list[Prepared]) -> list[JournalEntry]:
        """:meth:`_insert` in a ``quorum.journal.append`` span when tracing is on (the
        journal step of a decision's trace: kind, entry count, first and last seq)."""
        if not tracing_active():
            return self._insert(session, prepared)
        kinds = sorted({item[0].value for item in prepared})
        attributes = {
            "quorum.journal.kind": ",".join(kinds),
            "quorum.journal.entries": len(prepared),
        }
        with span("quorum.journal.append", **attributes) as current:
            entries = self._insert(session, prepared)
            current.set_attribute("quorum.journal.first_seq", entries[0].seq)
            current.set_attribute("quorum.journal.last_seq", entries[-1].seq)
            return entries

    def _insert(
        self, session: Session | Connection, prepared: list[Prepared]
    ) -> list[JournalEntry]:
        """Lock, read the head, hash and insert ``prepared`` in ``session``'s transaction.

        The head is read afresh under the lock every time (one indexed query, a few µs):
        a cached head would go stale on a savepoint rollback or a write by another
        journal on the same connection, and the next entry would no longer link."""
        conn = session.connection() if isinstance(session, Session) else session
        if not conn.in_transaction():
            raise ValidationFailed(
                "session", "journal append runs inside the caller's transaction: begin one first"
            )
        dialect = conn.dialect
        postgres = dialect.name == "postgresql"
        if not postgres:
            self._check_sqlite_lock(conn)
        raw = raw_connection(conn)
        # sqlite3 runs a statement straight off the connection (its cursor is made in C);
        # psycopg needs an explicit cursor.
        cursor = raw.cursor() if postgres else raw
        insert = _INSERT_SQL["%s" if postgres else "?"]
        statement = HEAD_SQL
        try:
            if postgres:
                statement = _PG_LOCK
                cursor.execute(_PG_LOCK)
                statement = HEAD_SQL
            head = cursor.execute(HEAD_SQL).fetchone() if not postgres else fetch_head(cursor)
            seq, prev = (0, GENESIS_HASH) if head is None else (int(head[0]), str(head[1]))
            rows: list[tuple[Any, ...]] = []
            entries: list[JournalEntry] = []
            clock = self._clock
            for kind, text, normal, actor, run_id in prepared:
                now = clock.now()
                if type(now) is not datetime or now.tzinfo is not UTC:
                    now = ensure_utc(now)
                time = format_time(now)
                seq += 1
                value = kind.value
                digest = entry_hash(seq, time, value, actor, run_id, prev, text)
                rows.append((seq, time, value, actor, run_id, text, prev, digest))
                entries.append(fast_entry(seq, now, kind, actor, run_id, normal, prev, digest))
                prev = digest
            statement = insert
            if len(rows) == 1:
                cursor.execute(insert, rows[0])
            else:
                cursor.executemany(insert, rows)
        except dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(
                statement,
                None,
                exc,
                dialect.loaded_dbapi.Error,
                dialect=dialect,
            ) from exc
        finally:
            if postgres:
                cursor.close()
        if isinstance(session, Session):
            self._track(session, len(rows))
        else:
            self._track_connection(len(rows))
        metrics().journal_appends.inc(len(rows))
        return entries

    def _lock(self, conn: Connection) -> None:
        """Take the append lock in ``conn``'s transaction (held until it ends)."""
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(_PG_LOCK)
        else:
            self._check_sqlite_lock(conn)

    def _check_sqlite_lock(self, conn: Connection) -> None:
        dialect = conn.dialect.name
        if dialect == "postgresql":
            return
        if dialect == "sqlite":
            if conn.info.get(BEGIN_MODE_INFO_KEY) not in ("IMMEDIATE", "EXCLUSIVE"):
                raise ConfigError(
                    "journal append on SQLite needs a transaction that holds the write lock: "
                    "use an engine from quorum.store.create_engine_for (BEGIN IMMEDIATE), "
                    f"got begin mode {conn.info.get(BEGIN_MODE_INFO_KEY)!r}"
                )
        else:
            raise ConfigError(f"journal: database {dialect!r} is not supported")

    # -- reading ---------------------------------------------------------------------

    def head(self) -> Head:
        with reader(self._engine) as conn, conn.begin():
            row = conn.execute(self._head_query).first()
        return Head(0, GENESIS_HASH) if row is None else Head(int(row[0]), str(row[1]))

    def read(
        self,
        *,
        since_seq: int | None = None,
        since_time: datetime | None = None,
        kinds: Sequence[JournalKind | str] | None = None,
        limit: int | None = None,
        newest_first: bool = False,
        run_id: str | None = None,
    ) -> list[JournalEntry]:
        """Entries in seq order (``since_*`` inclusive; only ``run_id``'s when given); not
        verified — use verify()."""
        statement = select_entries(
            since_seq=since_seq,
            since_time=since_time,
            kinds=kinds,
            limit=limit,
            newest_first=newest_first,
            run_id=run_id,
        )
        with reader(self._engine) as conn, conn.begin():
            return [to_entry(StoredRow._make(row)) for row in conn.execute(statement)]

    def verify(self, *, trusted_public_keys: Sequence[bytes] | None = None) -> VerifyReport:
        """Verify the chain and this journal's checkpoints; by default the signer's
        public key is the trusted one."""
        if trusted_public_keys is None and self._signer is not None:
            trusted_public_keys = [self._signer.public_key()]
        report = verify_journal(
            self._engine,
            checkpoints=self._checkpoints,
            trusted_public_keys=trusted_public_keys,
        )
        metrics().record_journal_verification(report.ok)
        return report

    def export_jsonl(self, path: str | Path) -> int:
        """Write every entry as one JSON line to ``path`` (atomically); return the count."""
        return export_jsonl(self._engine, path)

    # -- checkpoints -----------------------------------------------------------------

    def checkpoint(self) -> Checkpoint | None:
        """Sign and store a checkpoint of the committed chain; ``None`` when the chain
        is empty or has not grown since this journal's last checkpoint."""
        if self._signer is None or self._checkpoints is None:
            raise ConfigError("journal checkpoint: no signer / checkpoint store configured")
        with self._checkpointing:
            with self._engine.connect() as conn, conn.begin():
                # Under the append lock, so checkpoint times increase with their sizes.
                self._lock(conn)
                row = conn.execute(self._head_query).first()
                time = format_time(self._clock.now())
                if self._meta is None:
                    self._meta = read_meta_in(conn)
                anchors = self._anchors(conn, int(row[0])) if row is not None else []
            with self._state:
                self._last_checkpoint_at = self._clock.monotonic()
                self._pending = 0
            if row is None or int(row[0]) == self._last_checkpoint_size:
                return None
            meta = self._meta
            assert meta is not None
            checkpoint = sign_checkpoint(
                int(row[0]), str(row[1]), time, self._signer, meta.journal_id, anchors
            )
            self._checkpoints.put(checkpoint)
            self._last_checkpoint_size = checkpoint.size
            if meta.checkpointed is None and meta.journal_id is not None:
                record_checkpointed(self._engine, checkpoint.size, checkpoint.time)
                self._meta = meta._replace(checkpointed=f"{checkpoint.size} {checkpoint.time}")
            return checkpoint

    def _anchors(self, conn: Connection, size: int) -> list[tuple[int, str]]:
        """The chain's stored hashes at the anchor sizes below ``size``."""
        sizes = anchor_sizes(size)
        if not sizes:
            return []
        t = self._table
        rows = conn.execute(select(t.c.seq, t.c.hash).where(t.c.seq.in_(sizes)))
        found = {int(seq): str(digest) for seq, digest in rows}
        return [(at, found[at]) for at in sizes if at in found]

    def _due(self, now: float) -> bool:
        """Whether a checkpoint is due at monotonic ``now`` (call holding ``_state``)."""
        return now >= self._retry_at and (
            self._pending >= self._every_n
            or (self._pending > 0 and now - self._last_checkpoint_at >= self._every_s)
        )

    def _checkpoint_logged(self, now: float) -> Checkpoint | None:
        try:
            checkpoint = self.checkpoint()
        except Exception as exc:
            # The caller's commit already happened; a failed checkpoint must not look
            # like a failed commit. Log, remember, and retry later.
            self.last_checkpoint_error = exc
            with self._state:
                self._retry_at = now + min(self._every_s, _RETRY_AFTER_FAILURE_S)
            _log.error("journal checkpoint failed: %s", exc)
            return None
        self.last_checkpoint_error = None
        return checkpoint

    def close(self) -> Checkpoint | None:
        """Shutdown: a final checkpoint when checkpoints are configured."""
        if self._signer is None:
            return None
        return self.checkpoint()

    def _track(self, session: Session, appended: int) -> None:
        if self._signer is None:
            return
        _install_session_hooks()
        pending: dict[Journal, int] = session.info.setdefault(_PENDING_KEY, {})
        pending[self] = pending.get(self, 0) + appended

    def _track_connection(self, appended: int) -> None:
        """An append through a plain Connection: Core has no after-commit hook, so the
        entries count towards the next checkpoint now. It is taken at the next commit
        of a session append that finds it due, by the periodic :meth:`checkpoint` or by
        :meth:`close`; it covers them once they are committed (the head is read under
        the append lock, so an uncommitted append is never signed)."""
        if self._signer is None:
            return
        with self._state:
            self._pending += appended

    def _committed(self, appended: int) -> None:
        """After commit: count the entries, checkpoint when due (one lock, one clock read)."""
        now = self._clock.monotonic()
        with self._state:
            self._pending += appended
            due = self._due(now)
        if due:
            self._checkpoint_logged(now)


_PENDING_KEY = "quorum.journal.pending"
"""``Session.info`` key: entries appended per journal in the session's open transaction."""


def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    if pending:
        for journal, appended in pending.items():
            journal._committed(appended)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


@functools.cache
def _install_session_hooks() -> None:
    """Listen on every Session once (class level): per-session listeners cost more than
    the rest of an append."""
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _after_rollback)
