"""Fixtures for the llm integration tests: the loopback provider server."""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before anything imports litellm

from collections.abc import Iterator

import pytest
from tests.integration.llm.llm_loopback import Loopback
from tests.unit.llm.llm_kit import GOOD_ANSWER


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    server = Loopback(GOOD_ANSWER)
    with server.running():
        yield server
