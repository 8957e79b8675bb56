"""session_scope: commit on success, roll back on error, always close."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from quorum.store import create_engine_for, session_factory, session_scope


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'q.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    yield engine
    engine.dispose()


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM t")).scalar_one())


def test_a_scope_that_ends_normally_commits(engine: Engine) -> None:
    with session_scope(session_factory(engine)) as session:
        session.execute(text("INSERT INTO t VALUES (1)"))

    assert count(engine) == 1


def test_a_scope_that_raises_rolls_back_and_reraises(engine: Engine) -> None:

    def fails_after_inserting() -> None:
        with session_scope(engine) as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            raise KeyError("boom")

    with pytest.raises(KeyError):
        fails_after_inserting()

    assert count(engine) == 0
