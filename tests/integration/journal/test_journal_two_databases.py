"""Two PostgreSQL databases used from one working directory keep their checkpoints apart.

Before this test every non-SQLite database checkpointed into the one relative directory
``var/journal-checkpoints``: after running on database A (size 31) and then on database
B (size 29), the untouched journal A failed `quorum journal verify` with
``checkpoint_shrunk … smaller than 31 recorded earlier`` (issue #19 item 2). Each
database now has its own id (``journal_meta``), its default checkpoint directory is
``var/journal-checkpoints/<journal id>``, and every checkpoint is signed for its journal.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from apps.bootstrap import build_runtime
from apps.cli.commands.journal import app
from quorum.clock import ReplayClock
from quorum.config import AppSettings
from quorum.domain import JournalKind
from quorum.store import session_scope

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def two_databases(postgres_url: str) -> Iterator[tuple[str, str]]:
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    names = [f"qj_{side}_{uuid.uuid4().hex[:10]}" for side in ("a", "b")]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f"CREATE DATABASE {name}"))
    base = make_url(postgres_url)
    urls = [base.set(database=name).render_as_string(hide_password=False) for name in names]
    try:
        yield urls[0], urls[1]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def _append(tmp: Path, url: str, entries: int) -> None:
    settings = AppSettings(
        database={"url": url},
        journal={"local_key_path": str(tmp / "var" / "journal.key")},
        flags={"file_path": str(tmp / "flags.json"), "audit_path": str(tmp / "audit.jsonl")},
    )
    runtime = build_runtime(settings, clock=ReplayClock(NOW))
    try:
        for n in range(entries):
            with session_scope(runtime.engine) as session:
                runtime.journal.append(session, JournalKind.SCAN, {"n": n}, actor="test")
            if n % 10 == 9:
                runtime.journal.checkpoint()
    finally:
        runtime.close()


def _verify(url: str, *args: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(app, ["verify", "--db", url, "--json", *args])
    return result.exit_code, json.loads(result.stdout)


def test_two_postgres_databases_from_one_directory_keep_their_checkpoints_apart(
    two_databases: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [k for k in os.environ if k.startswith("QUORUM_")]:
        if not key.startswith("QUORUM_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    first, second = two_databases

    _append(tmp_path, first, 31)
    _append(tmp_path, second, 29)

    code_a, report_a = _verify(first)
    code_b, report_b = _verify(second)
    assert (code_a, report_a["damage"]) == (0, None), report_a
    assert (code_b, report_b["damage"]) == (0, None), report_b
    assert report_a["journal_id"] != report_b["journal_id"]
    directory_a = tmp_path / "var" / "journal-checkpoints" / str(report_a["journal_id"])
    assert report_a["checkpoint_store"] == str(Path("var/journal-checkpoints") / directory_a.name)
    assert report_a["latest_checkpoint_size"] == 31
    assert report_b["latest_checkpoint_size"] == 29

    code, crossed = _verify(
        first, "--checkpoints", f"dir:{directory_a.parent / str(report_b['journal_id'])}"
    )
    assert (code, crossed["damage"]) == (1, "checkpoint_foreign"), crossed
