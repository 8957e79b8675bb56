"""Fixtures for the config unit tests: a replay clock, a guard spy and an in-memory recorder."""

from __future__ import annotations

import pytest
from tests.unit.config.config_fakes import START, GuardSpy, ListRecorder

from quorum.clock import ReplayClock


@pytest.fixture
def clock() -> ReplayClock:
    return ReplayClock(START)


@pytest.fixture
def recorder() -> ListRecorder:
    return ListRecorder()


@pytest.fixture
def guard() -> GuardSpy:
    return GuardSpy()
