"""`quorum bench journal`: append and verification speed, next to a bare SHA-256 chain.

Both chains live in SQLite files with the same table shape and the same pragmas (WAL,
``synchronous=FULL``, ``busy_timeout``) and both take the write lock with
``BEGIN IMMEDIATE`` and read the head under it, as any multi-writer-safe chain must.
The bare chain is plain ``sqlite3`` + ``hashlib`` hashing the same fields the journal
hashes (``tag␟seq␟time␟kind␟actor␟prev_hash␟payload``; ``run_id`` is NULL) and its
verifier reads all eight columns straight off the driver cursor, as the journal's does;
the journal goes through ``quorum.store`` sessions, canonical JSON, the framed hash
(with its separator check) and checkpoints (Ed25519, every 1,000 entries).

Measured: durable single appends (one commit, hence one fsync, per entry), batched
appends (``batch`` entries per commit) and verification (re-hash of the whole chain plus
every checkpoint signature), each the best of ``rounds`` rounds alternating with the bare
chain's, so that load from other processes hits both alike.

Like for like: the bare chain holds one ``sqlite3`` connection and runs one transaction
per append (or batch) on it, so the journal's comparable run holds one SQLAlchemy
Connection and runs one ``conn.begin()`` per append (or batch) on it — the ratios to the
bare chain (``ratio_to_bare``) are taken from those runs. What a caller's own transaction
adds on top is measured separately, per way of opening it (``caller_paths``): a pooled
``engine.begin()`` per append, and a ``quorum.store.session_scope`` (SQLAlchemy ORM
Session) per append as the pipeline's tasks do; ``caller_transaction_floor`` is the cost
of those empty transactions (no write, no fsync). None of that is journal code.
``keep`` leaves the journal's database, its checkpoint directory and the public key
behind for inspection, tampering and ``quorum journal verify``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.harness import machine
from quorum.clock import SystemClock
from quorum.domain import JournalKind
from quorum.journal import (
    DirectoryCheckpointStore,
    Draft,
    Ed25519Signer,
    Journal,
    public_key_pem,
)
from quorum.store import create_engine_for, migrate, session_factory, session_scope

TARGET_DURABLE_PER_S = 5_000
TARGET_VERIFY_PER_S = 400_000
TARGET_WITHIN_BARE = 0.30
_BARE_TAG = "bare.v1"
_SEP = "\x1f"
_WARMUP = 100


def _payload(i: int) -> dict[str, Any]:
    return {
        "i": i,
        "symbol": "BTC/USDT",
        "side": "buy",
        "qty": Decimal("0.015"),
        "price": Decimal("65000.5"),
        "client_order_id": f"q-{i:08d}",
    }


def _rate(count: int, fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    return round(count / elapsed, 1) if elapsed > 0 else float("inf")


class _BareChain:
    """The reference: a SHA-256 chain with nothing but sqlite3 and hashlib."""

    DDL = (
        "CREATE TABLE journal_entries (seq INTEGER NOT NULL, time VARCHAR(40) NOT NULL, "
        "kind VARCHAR(40) NOT NULL, actor VARCHAR(120) NOT NULL, run_id VARCHAR(64), "
        "payload TEXT NOT NULL, prev_hash VARCHAR(64) NOT NULL, hash VARCHAR(64) NOT NULL, "
        "CONSTRAINT pk_journal_entries PRIMARY KEY (seq))"
    )
    INSERT = "INSERT INTO journal_entries VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    HEAD = "SELECT seq, hash FROM journal_entries ORDER BY seq DESC LIMIT 1"

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA busy_timeout = 30000")
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute(self.DDL)

    def append(self, payloads: list[dict[str, Any]]) -> None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        head = db.execute(self.HEAD).fetchone()
        seq, prev = (0, "0" * 64) if head is None else head
        rows = []
        for payload in payloads:
            seq += 1
            now = datetime.now(UTC).isoformat()
            text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
            framed = _SEP.join((_BARE_TAG, str(seq), now, "intent", "bench", prev, text))
            digest = hashlib.sha256(framed.encode()).hexdigest()
            rows.append((seq, now, "intent", "bench", None, text, prev, digest))
            prev = digest
        db.executemany(self.INSERT, rows)
        db.execute("COMMIT")

    def verify(self) -> int:
        prev, expected = "0" * 64, 1
        cursor = self.db.execute(
            "SELECT seq, time, kind, actor, run_id, payload, prev_hash, hash "
            "FROM journal_entries ORDER BY seq"
        )
        for seq, now, kind, actor, _run_id, text, prev_hash, stored in cursor:
            digest = hashlib.sha256(
                f"{_BARE_TAG}\x1f{seq}\x1f{now}\x1f{kind}\x1f{actor}\x1f{prev}\x1f{text}".encode()
            ).hexdigest()
            if seq != expected or prev_hash != prev or digest != stored:
                raise RuntimeError(f"bare chain broken at {seq}")
            prev, expected = stored, expected + 1
        return expected - 1


_Runs = list[tuple[str, int, Callable[[], object]]]
"""(result key, entries appended, the run) in the order a round takes them."""


def _journal_runs(
    db_path: Path, checkpoints: Path, single: int, entries: int, batch: int
) -> tuple[dict[str, _Runs], Journal]:
    engine = create_engine_for(f"sqlite:///{db_path}", sqlite_synchronous="FULL")
    migrate(engine)
    signer = Ed25519Signer.generate()
    journal = Journal(
        engine,
        SystemClock(),
        signer=signer,
        checkpoint_store=DirectoryCheckpointStore(checkpoints),
        checkpoint_every_n=1_000,
    )
    sessions = session_factory(engine)

    def single_session() -> None:
        for i in range(single):
            with session_scope(sessions) as session:
                journal.append(session, JournalKind.INTENT, _payload(i), actor="bench")

    def single_connection() -> None:
        for i in range(single):
            with engine.begin() as conn:
                journal.append(conn, JournalKind.INTENT, _payload(i), actor="bench")

    def single_held() -> None:
        with engine.connect() as conn:
            for i in range(single):
                with conn.begin():
                    journal.append(conn, JournalKind.INTENT, _payload(i), actor="bench")

    def batched_held() -> None:
        with engine.connect() as conn:
            for start in range(0, entries, batch):
                drafts = [
                    Draft(JournalKind.INTENT, _payload(i), "bench")
                    for i in range(start, min(start + batch, entries))
                ]
                with conn.begin():
                    journal.append_many(conn, drafts)

    def batched() -> None:
        for start in range(0, entries, batch):
            with session_scope(sessions) as session:
                for i in range(start, min(start + batch, entries)):
                    journal.append(session, JournalKind.INTENT, _payload(i), actor="bench")

    def batched_many() -> None:
        for start in range(0, entries, batch):
            drafts = [
                Draft(JournalKind.INTENT, _payload(i), "bench")
                for i in range(start, min(start + batch, entries))
            ]
            with session_scope(sessions) as session:
                journal.append_many(session, drafts)

    for i in range(_WARMUP):  # first connections, statement caches, the first fsyncs
        with session_scope(sessions) as session:
            journal.append(session, JournalKind.INTENT, _payload(i), actor="warmup")
    runs: dict[str, _Runs] = {
        "durable": [
            ("durable_appends_per_s", single, single_held),
            ("durable_appends_per_s_engine_begin", single, single_connection),
            ("durable_appends_per_s_session", single, single_session),
        ],
        "batched": [
            ("batched_appends_per_s", entries, batched_held),
            ("batched_appends_per_s_session_append", entries, batched),
            ("batched_appends_per_s_session_append_many", entries, batched_many),
        ],
    }
    return runs, journal


def _bare_runs(chain: _BareChain, single: int, entries: int, batch: int) -> dict[str, _Runs]:

    def singles() -> None:
        for i in range(single):
            chain.append([_payload(i)])

    def batched() -> None:
        for start in range(0, entries, batch):
            chain.append([_payload(i) for i in range(start, min(start + batch, entries))])

    for i in range(_WARMUP):
        chain.append([_payload(i)])
    return {
        "durable": [("durable_appends_per_s", single, singles)],
        "batched": [("batched_appends_per_s", entries, batched)],
    }


def _append_rates(
    ours: dict[str, _Runs], bare: dict[str, _Runs], rounds: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Best-of-``rounds`` append speeds; each round runs the journal's and the bare
    chain's durable runs back to back, then their batched runs."""
    best: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
    for _ in range(rounds):
        for phase in ("durable", "batched"):
            for side, runs in zip(best, (ours[phase], bare[phase]), strict=True):
                for key, count, fn in runs:
                    side[key] = max(side.get(key, 0.0), _rate(count, fn))
    return best


def _transaction_floor(journal: Journal, rounds: int, count: int = 2_000) -> dict[str, float]:
    """Microseconds of an empty transaction (BEGIN IMMEDIATE, COMMIT with nothing
    written, hence no fsync) through a Session, a pooled ``engine.begin()`` and a held
    Connection: the part of a durable append that is the caller's transaction, not the
    journal (best of ``rounds``)."""
    engine = journal.engine
    sessions = session_factory(engine)

    def session_only() -> None:
        for _ in range(count):
            with session_scope(sessions) as session:
                session.connection()

    def connection_only() -> None:
        for _ in range(count):
            with engine.begin():
                pass

    def held_only() -> None:
        with engine.connect() as conn:
            for _ in range(count):
                with conn.begin():
                    pass

    runs = (
        ("session_transaction_us", session_only),
        ("connection_transaction_us", connection_only),
        ("held_connection_transaction_us", held_only),
    )
    best = {key: float("inf") for key, _ in runs}
    for _ in range(rounds):
        for key, fn in runs:
            best[key] = min(best[key], round(1e6 / _rate(count, fn), 1))
    return best


def _verify_rates(journal: Journal, chain: _BareChain, rounds: int = 3) -> tuple[float, float]:
    """Best-of-``rounds`` verification speed of both chains, measured alternately so that
    load from other processes hits both alike."""
    ours = bare = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        report = journal.verify()
        ours = max(ours, report.count / (time.perf_counter() - start))
        if not report.ok:
            raise RuntimeError(f"journal benchmark: verification failed: {report.summary()}")
        start = time.perf_counter()
        count = chain.verify()
        bare = max(bare, count / (time.perf_counter() - start))
    return round(ours, 1), round(bare, 1)


def run(
    entries: int = 20_000,
    batch: int = 100,
    keep: str | None = None,
    single: int = 2_000,
    rounds: int = 3,
) -> dict[str, Any]:
    """Measure the journal and the bare chain; ``single`` durable commits each, every
    run repeated ``rounds`` times alternating with the bare chain (best kept)."""
    if entries < 1 or batch < 1 or single < 1 or rounds < 1:
        raise ValueError("entries, batch, single and rounds must be >= 1")
    with tempfile.TemporaryDirectory(prefix="quorum-bench-journal-") as scratch:
        if keep is not None:
            db_path = Path(keep).resolve()
            if db_path.exists():
                raise FileExistsError(f"--keep {db_path}: already exists; choose a new path")
            db_path.parent.mkdir(parents=True, exist_ok=True)
        else:
            db_path = Path(scratch) / "journal.db"
        checkpoints = Path(f"{db_path}-checkpoints")
        our_runs, journal = _journal_runs(db_path, checkpoints, single, entries, batch)
        chain = _BareChain(Path(scratch) / "bare.db")
        ours, bare = _append_rates(our_runs, _bare_runs(chain, single, entries, batch), rounds)
        floor = _transaction_floor(journal, rounds)
        journal.close()  # the final checkpoint, so verification covers every entry
        ours["verify_entries_per_s"], bare["verify_entries_per_s"] = _verify_rates(
            journal, chain, rounds
        )
        ours["entries"] = journal.head().size
        ours["checkpoints"] = (
            len(journal.checkpoint_store.load()) if journal.checkpoint_store else 0
        )
        chain.db.close()
        journal.engine.dispose()
        kept: dict[str, str] | None = None
        if keep is not None and journal.signer is not None:
            public = Path(f"{db_path}.pub.pem")
            public.write_text(public_key_pem(journal.signer.public_key()), encoding="ascii")
            kept = {
                "database": str(db_path),
                "checkpoints": str(checkpoints),
                "public_key": str(public),
                "verify_command": (
                    f"quorum journal verify --db sqlite:///{db_path} "
                    f"--checkpoints {checkpoints} --public-key {public}"
                ),
            }
    ratio = {
        key: round(ours[key] / bare[key], 3)
        for key in ("durable_appends_per_s", "batched_appends_per_s", "verify_entries_per_s")
    }
    caller_paths = {}
    for key, base in (
        ("durable_appends_per_s_engine_begin", "durable_appends_per_s"),
        ("durable_appends_per_s_session", "durable_appends_per_s"),
        ("batched_appends_per_s_session_append", "batched_appends_per_s"),
        ("batched_appends_per_s_session_append_many", "batched_appends_per_s"),
    ):
        rate = ours.pop(key)
        caller_paths[key] = {"per_s": rate, "ratio_to_bare": round(rate / bare[base], 3)}
    return {
        "scenario": "journal",
        "machine": machine(),
        "params": {"single": single, "entries": entries, "batch": batch, "rounds": rounds},
        "journal": ours,
        "bare_chain": bare,
        "ratio_to_bare": ratio,
        "caller_paths": caller_paths,
        "caller_transaction_floor": floor,
        "targets": {
            "durable_appends_per_s": TARGET_DURABLE_PER_S,
            "verify_entries_per_s": TARGET_VERIFY_PER_S,
            "within_of_bare": TARGET_WITHIN_BARE,
        },
        "within_target_of_bare": {
            key: value >= 1 - TARGET_WITHIN_BARE for key, value in ratio.items()
        },
        "meets_absolute_targets": {
            "durable_appends_per_s": ours["durable_appends_per_s"] >= TARGET_DURABLE_PER_S,
            "verify_entries_per_s": ours["verify_entries_per_s"] >= TARGET_VERIFY_PER_S,
        },
        "kept": kept,
    }
