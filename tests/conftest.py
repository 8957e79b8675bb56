"""Shared fixtures: real service URLs, started by `make test` (tools/services.sh).

A test that needs Redis or PostgreSQL asks for ``redis_url`` / ``postgres_url``.
When the service is not there the test is skipped on a developer's machine and
*fails* under ``CI=true``: a missing service never passes silently in CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


def _service_url(variable: str, name: str) -> str:
    url = os.environ.get(variable)
    if url:
        return url
    message = f"{name} is not available: {variable} is not set (run the tests through `make test`)"
    if os.environ.get("CI") == "true":
        pytest.fail(message + "; CI=true forbids skipping", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _service_url("QUORUM_TEST_REDIS_URL", "Redis")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return _service_url("QUORUM_TEST_POSTGRES_URL", "PostgreSQL")


@pytest.fixture
def clean_redis(redis_url: str) -> Iterator[str]:
    """A Redis URL whose database is flushed before and after the test."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    try:
        yield redis_url
    finally:
        client.flushdb()
        client.close()
