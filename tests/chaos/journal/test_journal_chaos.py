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
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text
from tests.unit.journal.journal_kit import new_sqlite

from quorum.journal import DirectoryCheckpointStore, Ed25519Signer, verify_journal

WORKER = Path(__file__).with_name("journal_chaos_worker.py")
ROOT = Path(__file__).resolve().parents[3]
KILLS = 150
SEED = bytes(range(32))


class ForkServer:
    def __init__(self, url: str, schema: str, checkpoints: Path) -> None:
        env = {**os.environ, "PYTHONPATH": f"{ROOT / 'libs'}{os.pathsep}{ROOT}"}
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), url, schema, str(checkpoints), SEED.hex()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.buffer = b""
        self.expect("ready", timeout=120)

    def lines(self, timeout: float) -> Iterator[str]:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                yield line.decode()
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self.process.stdout], [], [], max(remaining, 0))
            if not ready:
                raise TimeoutError(f"fork server silent for {timeout}s: {self.stderr()}")
            chunk = os.read(self.process.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError(f"fork server exited: {self.stderr()}")
            self.buffer += chunk

    def expect(self, *wanted: str, timeout: float = 30) -> None:
        missing = set(wanted)
        for line in self.lines(timeout):
            missing.discard(line)
            if not missing:
                return

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

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

    def stderr(self) -> str:
        self.process.kill()
        _, err = self.process.communicate(timeout=10)
        return err.decode()[-3000:]

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
