"""Several processes appending at once produce one gapless chain that verifies."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import Engine
from tests.unit.journal.journal_kit import new_sqlite

from quorum.journal import verify_journal
from quorum.journal.rows import reader, stream_rows

WORKER = Path(__file__).with_name("journal_append_worker.py")
ROOT = Path(__file__).resolve().parents[3]
WORKERS, EACH = 4, 200


def run_workers(url: str, schema: str) -> None:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'libs'}{os.pathsep}{ROOT}"}
    done = subprocess.run(
        [sys.executable, str(WORKER), url, schema, str(WORKERS), str(EACH)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def assert_one_chain(engine: Engine) -> None:
    report = verify_journal(engine)
    assert report.ok, report.summary()
    assert report.count == WORKERS * EACH
    with reader(engine) as conn, conn.begin():
        rows = [row for batch in stream_rows(conn) for row in batch]
    assert [row[0] for row in rows] == list(range(1, WORKERS * EACH + 1))
    assert Counter(row[3] for row in rows) == {f"w{w}": EACH for w in range(WORKERS)}


def test_four_sqlite_processes_appending_at_once_make_one_gapless_chain(tmp_path: Path) -> None:
    engine = new_sqlite(tmp_path / "journal.db")

    run_workers(f"sqlite:///{tmp_path / 'journal.db'}", "-")

    assert_one_chain(engine)
    engine.dispose()


def test_four_postgres_processes_appending_at_once_make_one_gapless_chain(
    postgres_url: str, pg_schema: str, pg_engine: Engine
) -> None:
    run_workers(postgres_url, pg_schema)

    assert_one_chain(pg_engine)
