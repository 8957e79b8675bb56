"""The Redis budget (Lua, atomic across workers) and the Redis answer cache, on a real Redis."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from tests.integration.llm.llm_concurrency import hammer
from tests.unit.llm.llm_kit import START, model, request, settings

from quorum.clock import ReplayClock
from quorum.llm import (
    BudgetDenied,
    BudgetScope,
    CachedAnswer,
    RedisBudgetLedger,
    RedisResponseCache,
    build_llm_router,
    to_nano,
)
from quorum.llm.factory import build_budget_ledger, build_cache

pytestmark = pytest.mark.integration

DAY = BudgetScope("day:2025-03-01", to_nano(Decimal("1.00")), 3600)
RUN = BudgetScope("run:r1", to_nano(Decimal("0.30")), 3600)
CENT = to_nano(Decimal("0.01"))


def test_redis_reserve_settle_and_expiry(clean_redis: str) -> None:
    ledger = RedisBudgetLedger.from_url(clean_redis, "t:budget")

    held = ledger.reserve([DAY, RUN], 20 * CENT, START, 60)
    assert held.headroom_nano == (80 * CENT, 10 * CENT)
    with pytest.raises(BudgetDenied, match="run:r1"):
        ledger.reserve([DAY, RUN], 11 * CENT, START, 60)
    ledger.settle(held, 3 * CENT, START)
    assert ledger.spent_nano(DAY.key) == 3 * CENT

    ledger.reserve([RUN], 27 * CENT, START, 60)
    with pytest.raises(BudgetDenied):
        ledger.reserve([RUN], CENT, START + timedelta(seconds=59), 60)
    ledger.reserve([RUN], 27 * CENT, START + timedelta(seconds=60), 60)
    assert ledger.held_nano(RUN.key, START + timedelta(seconds=60)) == 27 * CENT


def test_many_threads_on_one_redis_never_overshoot_the_caps(clean_redis: str) -> None:
    ledger = RedisBudgetLedger.from_url(clean_redis, "t:budget")
    scopes = [BudgetScope("day:2025-03-01", to_nano(Decimal("2.00")), 3600), RUN]

    tally = hammer(ledger, scopes, ReplayClock(START), threads=12, calls=25)

    assert tally.errors == []
    spent = ledger.spent_nano(RUN.key)
    assert spent == tally.settled_nano
    assert spent <= RUN.cap_nano
    assert tally.denied > 0
    assert RUN.cap_nano - spent < to_nano(Decimal("0.040"))  # the cap was really contended
    assert ledger.held_nano(RUN.key, START) == 0


def test_the_redis_cache_is_shared_between_workers(clean_redis: str) -> None:
    first = RedisResponseCache.from_url(clean_redis, "t:cache", ttl_s=60, cluster=False)
    second = RedisResponseCache.from_url(clean_redis, "t:cache", ttl_s=60, cluster=False)
    answer = CachedAnswer('{"stance":"neutral"}', "mini", "openai", 1, 2)

    first.put("k", answer)

    assert second.get("k") == answer
    assert second.get("other") is None


def test_two_routers_share_budget_and_cache_through_redis(clean_redis: str) -> None:
    s = settings(
        [model("best", litellm_model="openai/gpt-4o")],
        budget={"backend": "redis", "redis_url": clean_redis, "per_day_usd": "5"},
        cache={"backend": "redis", "redis_url": clean_redis},
    )
    workers = []
    for _ in range(2):
        clock = ReplayClock(START)
        workers.append(
            build_llm_router(
                s,
                clock=clock,
                secrets=None,
                flags=None,
                budget=build_budget_ledger(s.budget, None),
                cache=build_cache(s.cache, None, clock),
            )
        )

    first = workers[0].complete(request())
    second = workers[1].complete(request())

    assert (first.cache_hit, second.cache_hit) == (False, True)
    ledger = RedisBudgetLedger.from_url(clean_redis, s.budget.key_prefix)
    assert ledger.spent_nano("day:2025-03-01") == to_nano(first.cost_usd)
