"""The answer cache: keyed on role, prompt and versions (not the model); TTL; backends."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from quorum.clock import ReplayClock
from quorum.llm import (
    CachedAnswer,
    MemoryResponseCache,
    SqlResponseCache,
    cache_key,
    normalize_prompt,
)

ANSWER = CachedAnswer('{"stance":"neutral"}', "gpt-4o-mini", "openai", 120, 30)


def test_the_key_changes_with_model_role_schema_and_prompt_version_only() -> None:
    prompt = normalize_prompt([{"role": "user", "content": "ctx"}])
    base = cache_key("mini", "fast", prompt, "analyst-answer/1", "technical/1")

    assert base == cache_key("mini", "fast", prompt, "analyst-answer/1", "technical/1")
    assert base != cache_key("offline", "fast", prompt, "analyst-answer/1", "technical/1")
    assert base != cache_key("mini", "deep", prompt, "analyst-answer/1", "technical/1")
    assert base != cache_key("mini", "fast", prompt, "analyst-answer/2", "technical/1")
    assert base != cache_key("mini", "fast", prompt, "analyst-answer/1", "technical/2")


def test_normalization_ignores_trailing_spaces_and_blank_edges_but_not_content() -> None:
    a = normalize_prompt([{"role": "user", "content": "  rsi 55  \nema up \n\n"}])
    b = normalize_prompt([{"role": "user", "content": "rsi 55\nema up"}])
    c = normalize_prompt([{"role": "system", "content": "rsi 55\nema up"}])

    assert a == b
    assert a != c


def test_memory_cache_expires_and_evicts_the_least_recently_used(clock: ReplayClock) -> None:
    cache = MemoryResponseCache(clock, ttl_s=60, max_entries=2)
    cache.put("a", ANSWER)
    cache.put("b", ANSWER)
    assert cache.get("a") == ANSWER
    cache.put("c", ANSWER)

    assert cache.get("b") is None
    clock.advance(timedelta(seconds=61))
    assert cache.get("a") is None


def test_sql_cache_round_trips_and_expires(engine: Engine, clock: ReplayClock) -> None:
    cache = SqlResponseCache(engine, clock, ttl_s=60)
    cache.put("k", ANSWER)
    cache.put("k", ANSWER)

    assert cache.get("k") == ANSWER
    clock.advance(timedelta(seconds=60))
    assert cache.get("k") is None
