"""``worker_processes`` tests start real workers: one at a time, across pytest processes too."""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.worker.kit import RedisServer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "worker_processes: starts real Celery processes; never run two at once"
    )


@pytest.fixture(autouse=True)
def serial(request: pytest.FixtureRequest) -> Iterator[None]:
    """Hold a host-wide file lock while a ``worker_processes`` test runs."""
    if request.node.get_closest_marker("worker_processes") is None:
        yield
        return
    path = Path(tempfile.gettempdir()) / "quorum-worker-processes.lock"
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture
def redis_server(tmp_path: Path, redis_url: str) -> Iterator[RedisServer]:
    """A private Redis server for one test (``redis_url`` first: under CI a missing Redis
    fails the test instead of skipping it)."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()
