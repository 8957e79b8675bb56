"""Fixtures for the config integration tests: a loopback fake Vault on a replay clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from tests.integration.config.config_vault_fake import FakeVault

from quorum.clock import ReplayClock


@pytest.fixture
def vault_clock() -> ReplayClock:
    return ReplayClock(datetime(2025, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def fake_vault(vault_clock: ReplayClock) -> Iterator[FakeVault]:
    vault = FakeVault(vault_clock)
    vault.start()
    try:
        yield vault
    finally:
        vault.stop()
