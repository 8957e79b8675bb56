"""Fixtures for the llm unit tests: a replay clock and a migrated SQLite store per test."""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before anything imports litellm

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.unit.llm.llm_kit import START, migrated_sqlite

from quorum.clock import ReplayClock
from quorum.store import create_engine_for


@pytest.fixture
def clock() -> ReplayClock:
    return ReplayClock(START)


@pytest.fixture(scope="session")
def llm_template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("llm-template") / "template.db"
    migrated_sqlite(path).dispose()
    return path


@pytest.fixture
def engine(tmp_path: Path, llm_template_db: Path) -> Iterator[Engine]:
    path = tmp_path / "quorum.db"
    shutil.copyfile(llm_template_db, path)
    engine = create_engine_for(f"sqlite:///{path}", sqlite_synchronous="OFF")
    yield engine
    engine.dispose()
