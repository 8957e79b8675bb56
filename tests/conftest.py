"""Shared fixtures: real service URLs, started by `make test` (tools/services.sh).

A test that needs Redis or PostgreSQL asks for ``redis_url`` / ``postgres_url``.
When the service is not there the test is skipped on a developer's machine and
*fails* under ``CI=true``: a missing service never passes silently in CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# LangGraph's checkpoint serializer refuses every type its allow-list does not name
# (rather than warning, its current default): a graph state type missing from
# quorum.agents.checkpoints.STATE_TYPES fails the tests instead of one day the workers.
# Read by langgraph when it is first imported, which happens after this module.
os.environ["LANGGRAPH_STRICT_MSGPACK"] = "true"


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


# -- live order endpoints are denied for the whole suite -------------------------------------


class LiveOrderGuard:
    """Refuses every order-placing (non-GET) ccxt request; counts the refusals.

    Loopback hosts are allowed only while a test holds ``allow_loopback_orders`` (a test
    that runs its own scripted venue on 127.0.0.1). ccxt is patched when first imported,
    so sessions that never touch ccxt do not pay for importing it.
    """

    LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

    def __init__(self) -> None:
        self.denied: list[str] = []
        self.allowed: list[str] = []
        self.loopback_allowed = False
        self.installed = False

    def check(self, url: str, method: str) -> None:
        from urllib.parse import urlsplit

        if str(method).upper() == "GET":
            return
        host = urlsplit(url).hostname or ""
        if self.loopback_allowed and host in self.LOOPBACK:
            self.allowed.append(f"{method} {url}")
            return
        self.denied.append(f"{method} {url}")
        raise RuntimeError(f"live order endpoint denied in tests: {method} {url}")

    def install(self) -> None:
        if self.installed:
            return
        from ccxt.base.exchange import Exchange

        original = Exchange.fetch
        guard = self

        def fetch(
            self: object, url: str, method: str = "GET", *args: object, **kw: object
        ) -> object:
            guard.check(url, method)
            return original(self, url, method, *args, **kw)

        Exchange.fetch = fetch  # type: ignore[method-assign]
        self.installed = True


@pytest.fixture(scope="session", autouse=True)
def live_order_guard() -> Iterator[LiveOrderGuard]:
    """The whole suite runs with live order endpoints denied and asserts zero such calls."""
    import importlib.abc
    import importlib.util
    import sys

    guard = LiveOrderGuard()

    class _PatchCcxtOnImport(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, path: object, target: object = None) -> object:
            if name != "ccxt.base.exchange":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            if spec is not None and spec.loader is not None:
                exec_module = spec.loader.exec_module

                def exec_and_patch(module: object) -> None:
                    exec_module(module)  # type: ignore[arg-type]
                    guard.install()

                spec.loader.exec_module = exec_and_patch  # type: ignore[method-assign]
            return spec

    hook = _PatchCcxtOnImport()
    if "ccxt.base.exchange" in sys.modules:
        guard.install()
    else:
        sys.meta_path.insert(0, hook)
    try:
        yield guard
    finally:
        if hook in sys.meta_path:
            sys.meta_path.remove(hook)
    assert guard.denied == [], f"live order endpoints were called: {guard.denied[:5]}"


@pytest.fixture
def allow_loopback_orders(live_order_guard: LiveOrderGuard) -> Iterator[None]:
    """Opt-in for tests that run their own venue (scripted, or the Binance simulator) on
    127.0.0.1: order requests to loopback pass the guard while the test runs."""
    live_order_guard.loopback_allowed = True
    try:
        yield
    finally:
        live_order_guard.loopback_allowed = False


_LITELLM_HOOK_LISTS = (
    "callbacks",
    "success_callback",
    "failure_callback",
    "input_callback",
    "service_callback",
    "_async_success_callback",
    "_async_failure_callback",
)


@pytest.fixture(autouse=True)
def litellm_global_hooks() -> Iterator[None]:
    """Undo what a test's litellm Routers hooked into litellm's process-wide callback lists.

    Tests build routers without closing them (production closes them: QuorumRouter.close);
    without this, past litellm's MAX_CALLBACKS every later router build warns on stderr.
    """
    import sys

    litellm = sys.modules.get("litellm")
    if litellm is None:  # not loaded yet: nothing to compare against (its first hooks stay)
        yield
        return
    saved = {name: list(getattr(litellm, name)) for name in _LITELLM_HOOK_LISTS}
    yield
    for name, hooks in saved.items():
        getattr(litellm, name)[:] = hooks
