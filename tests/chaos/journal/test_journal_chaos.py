"""SIGKILL during commits: the journal and the state it records never diverge.

A fork server (``journal_chaos_worker.py``) hands out appenders that loop
``BEGIN; counter += 1; append(reconciliation, n); COMMIT`` with checkpoints every 25
entries. Each is SIGKILLed 5–50 ms after its first commit — in the middle of a
statement, a commit, an fsync or a checkpoint write. After every kill: the chain and
its checkpoints verify, and the counter equals the number of entries (and the last
entry's n), on SQLite WAL and on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text
from tests.chaos.line_process import LineProcess
from tests.unit.journal.journal_kit import new_sqlite

from quorum.journal import DirectoryCheckpointStore, Ed25519Signer, verify_journal

WORKER = Path(__file__).with_name("journal_chaos_worker.py")
KILLS = 150
SEED = bytes(range(32))


class ForkServer(LineProcess):
    """The pre-imported parent that forks one appender per kill."""

    def __init__(self, url: str, schema: str, checkpoints: Path) -> None:
        super().__init__(
            [sys.executable, str(WORKER), url, schema, str(checkpoints), SEED.hex()], "ready"
        )

    def expect(self, *wanted: str, timeout: float = 30) -> None:
        missing = set(wanted)
        for line in self.lines(timeout):
            missing.discard(line)
            if not missing:
                return

    def fork(self) -> int:
        self.send("fork")
        for line in self.lines(30):
            if line.startswith("pid "):
                pid = int(line.split()[1])
                self.expect(f"go {pid}")
                return pid
        raise AssertionError("unreachable")

    def reap(self, pid: int) -> int:
        self.send(f"reap {pid}")
        for line in self.lines(30):
            if line.startswith(f"reaped {pid} "):
                return int(line.split()[2])
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.process.poll() is None:
            self.send("quit")
            self.process.wait(timeout=30)


def counter_and_entries(engine: Engine) -> tuple[int, int, int | None]:
    with engine.connect() as conn:
        n = conn.execute(text("SELECT n FROM chaos_counter WHERE id = 1")).scalar_one()
        entries = conn.execute(
            text("SELECT count(*) FROM journal_entries WHERE kind = 'reconciliation'")
        ).scalar_one()
        last = conn.execute(
            text("SELECT payload FROM journal_entries ORDER BY seq DESC LIMIT 1")
        ).scalar()
    last_n = None if last is None else int(json.loads(last)["n"])
    return int(n), int(entries), last_n


def kill_repeatedly(engine: Engine, url: str, schema: str, checkpoints: Path) -> int:
    with engine.begin() as conn:
        conn.execute(
            text("CREATE TABLE chaos_counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        )
        conn.execute(text("INSERT INTO chaos_counter VALUES (1, 0)"))
    public = Ed25519Signer(Ed25519PrivateKey.from_private_bytes(SEED)).public_key()
    store = DirectoryCheckpointStore(checkpoints)
    rng = random.Random(5)
    server = ForkServer(url, schema, checkpoints)
    try:
        for kill in range(KILLS):
            pid = server.fork()
            time.sleep(rng.uniform(0.005, 0.050))
            os.kill(pid, signal.SIGKILL)
            assert server.reap(pid) == signal.SIGKILL, f"kill {kill}: appender died on its own"
            report = verify_journal(engine, checkpoints=store, trusted_public_keys=[public])
            assert report.ok, f"kill {kill}: {report.summary()}"
            n, entries, last_n = counter_and_entries(engine)
            assert n == entries == report.count, f"kill {kill}: counter {n}, entries {entries}"
            assert last_n == (n or None), f"kill {kill}: last entry says {last_n}, counter {n}"
    finally:
        server.close()
    return n


def test_sigkill_during_sqlite_wal_commits_never_diverges(tmp_path: Path) -> None:
    engine = new_sqlite(tmp_path / "journal.db")

    appended = kill_repeatedly(
        engine, f"sqlite:///{tmp_path / 'journal.db'}", "-", tmp_path / "cps"
    )

    assert appended >= KILLS  # every appender committed before it was killed
    engine.dispose()


def test_sigkill_during_postgres_commits_never_diverges(
    postgres_url: str, pg_schema: str, pg_engine: Engine, tmp_path: Path
) -> None:
    appended = kill_repeatedly(pg_engine, postgres_url, pg_schema, tmp_path / "cps")

    assert appended >= KILLS
