"""/health/live and /health/ready: every probe has its own timeout, so readiness answers
in under 200 ms even when a dependency hangs."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.api.api_kit import ApiEnv, api_env

BUDGET_S = 0.2


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A loopback port that accepts connections and never answers (a hung Redis)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        server.close()


def _timed_ready(env: ApiEnv) -> tuple[float, int, dict[str, dict[str, object]]]:
    started = time.perf_counter()
    response = env.client.get("/health/ready")
    elapsed = time.perf_counter() - started
    return elapsed, response.status_code, {p["name"]: p for p in response.json()["probes"]}


def test_live_answers_without_touching_any_dependency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with api_env(tmp_path, monkeypatch) as env:
        response = env.client.get("/health/live")

    assert (response.status_code, response.json()) == (200, {"status": "alive"})


def test_ready_reports_each_dependency_when_all_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with api_env(tmp_path, monkeypatch) as env:
        elapsed, code, probes = _timed_ready(env)

    assert code == 200
    assert elapsed < BUDGET_S
    assert {n: p["status"] for n, p in probes.items()} == {
        "database": "ok",
        "broker": "skipped",
        "exchange": "ok",
    }
    assert probes["database"]["detail"] == "sqlite"
    assert probes["exchange"]["detail"] == "paper reachable (reconciled)"


def test_ready_answers_503_within_200ms_while_the_celery_broker_hangs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, silent_redis: str
) -> None:
    with api_env(tmp_path, monkeypatch, broker_url=silent_redis) as env:
        runs = [_timed_ready(env) for _ in range(5)]

    for elapsed, code, probes in runs:
        assert elapsed < BUDGET_S, elapsed
        assert code == 503
        assert probes["broker"]["status"] == "timeout"
        assert probes["database"]["status"] == "ok"
        assert probes["exchange"]["status"] == "ok"


def test_ready_answers_503_within_200ms_while_the_exchange_hangs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    with api_env(tmp_path, monkeypatch) as env:
        venue = env.pipeline.deps.execution.ctx.brokers["paper"].inner

        def hang() -> dict[str, object]:
            release.wait(10)
            return {}

        monkeypatch.setattr(venue, "fetch_balance", hang)
        try:
            runs = [_timed_ready(env) for _ in range(3)]
        finally:
            release.set()

    for elapsed, code, probes in runs:
        assert elapsed < BUDGET_S, elapsed
        assert code == 503
        assert probes["exchange"]["status"] == "timeout"
        assert probes["database"]["status"] == "ok"
    assert runs[1][2]["exchange"]["detail"] == "previous probe still running"


def test_a_failing_exchange_is_reported_with_its_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with api_env(tmp_path, monkeypatch) as env:
        venue = env.pipeline.deps.execution.ctx.brokers["paper"].inner

        def down() -> dict[str, object]:
            raise ConnectionRefusedError("venue down")

        monkeypatch.setattr(venue, "fetch_balance", down)
        _, code, probes = _timed_ready(env)

    assert code == 503
    assert probes["exchange"]["status"] == "fail"
    assert probes["exchange"]["detail"] == "ConnectionRefusedError: venue down"
