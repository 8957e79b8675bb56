"""Fixtures for the journal unit tests: a migrated SQLite file per test (copied from one
migrated template), a replay clock, a signer and a checkpoint directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.unit.journal.journal_kit import START, new_sqlite

from quorum.clock import ReplayClock
from quorum.journal import Ed25519Signer


@pytest.fixture(scope="session")
def journal_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("journal-template") / "template.db"
    new_sqlite(path).dispose()
    return path


@pytest.fixture
def engine(tmp_path: Path, journal_template: Path) -> Iterator[Engine]:
    engine = new_sqlite(tmp_path / "journal.db", journal_template)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> ReplayClock:
    return ReplayClock(START)


@pytest.fixture(scope="session")
def signer() -> Ed25519Signer:
    return Ed25519Signer.generate()


@pytest.fixture
def checkpoint_dir(tmp_path: Path) -> Path:
    return tmp_path / "checkpoints"
