"""Cooldowns are shared through Redis in cluster mode (``llm.cooldown_redis_url``).

Two routers stand for two worker processes on one Redis. A model that fails on the first
router is cooled down there by litellm.Router; the second router, which never called it,
must skip it too instead of hammering the failing provider again. Without the setting
each process keeps its own cooldowns (the second router calls the dead model once more).
The second router is built after the first is closed: routers alive together in one
process also hear each other's failures through litellm's process-wide callbacks, which
is not what a second process would see.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from tests.integration.llm.llm_loopback import Loopback, http_model
from tests.unit.llm.llm_kit import (
    TEST_KEY_VARIABLE,
    request,
    router,
    settings,
)

from apps.bootstrap import build_router, build_runtime
from quorum.config import load_settings
from quorum.llm import LLMSettings
from quorum.llm.router import QuorumRouter

pytestmark = pytest.mark.integration


def _settings(loopback: Loopback, **extra: Any) -> LLMSettings:
    models = [
        http_model(loopback, name, accuracy) for name, accuracy in (("alpha", 0.9), ("beta", 0.6))
    ]
    return settings(models, allowed_fails=0, cooldown_s=30, **extra)


def _two_workers(
    loopback: Loopback, make: Callable[[LLMSettings], QuorumRouter] = router, **extra: Any
) -> tuple[list[str], list[str], str]:
    loopback.set("alpha", status=500)
    first = make(_settings(loopback, **extra))
    try:
        one = first.complete(request(symbol="BTC/USDT"))
    finally:
        first.close()
    assert one.model == "beta"
    assert one.fallbacks == ("alpha",)
    calls_after_first = loopback.hit_models()
    second = make(_settings(loopback, **extra))
    try:
        two = second.complete(request(symbol="ETH/USDT"))
    finally:
        second.close()
    assert two.model == "beta"
    return calls_after_first, loopback.hit_models(), two.why


def test_a_model_cooled_down_by_one_process_is_skipped_by_another(
    loopback: Loopback, clean_redis: str
) -> None:
    before, after, why = _two_workers(
        loopback, cooldown_redis_url=clean_redis, cooldown_key_prefix="t:cooldown"
    )

    assert before == ["alpha", "beta"]
    assert after == ["alpha", "beta", "beta"], "the second process never called alpha"
    assert "cooling down: alpha" in why
    keys = redis.Redis.from_url(clean_redis).keys("t:cooldown:*")
    assert b"t:cooldown:deployment:alpha:cooldown" in keys


def test_without_shared_cooldowns_each_process_hits_the_failing_model_again(
    loopback: Loopback,
) -> None:
    _, after, why = _two_workers(loopback)

    assert after == ["alpha", "beta", "alpha", "beta"]
    assert "cooling down" not in why


def test_workers_on_a_redis_broker_share_cooldowns_without_further_configuration(
    loopback: Loopback, clean_redis: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cluster mode is a Redis Celery broker: the composition root puts the routers'
    cooldowns there unless ``llm.cooldown_redis_url`` names another Redis."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(TEST_KEY_VARIABLE, "sk-test")  # pragma: allowlist secret
    monkeypatch.setenv("QUORUM_BROKER_URL", clean_redis)
    monkeypatch.setenv("QUORUM_FLAG_LLM__ALLOW_PAID", "true")
    monkeypatch.setenv("QUORUM_DATABASE__URL", f"sqlite:///{tmp_path / 'q.db'}")
    runtime = build_runtime(load_settings())
    try:
        _, after, why = _two_workers(loopback, lambda llm: build_router(runtime, llm))
    finally:
        runtime.close()

    assert after == ["alpha", "beta", "beta"]
    assert "cooling down: alpha" in why
    keys = redis.Redis.from_url(clean_redis).keys("quorum:llm:router:*")
    assert b"quorum:llm:router:deployment:alpha:cooldown" in keys
