"""One retry owner per failure class, through the real router inside the real graph.

* a provider failure (5xx, 429, timeout, connection) is retried by litellm.Router
  (``num_retries``, backoff + jitter) and then falls back; the graph node does not retry
  it again, so a dead provider costs ``1 + num_retries`` requests per prompt, not that
  times the node's ``max_attempts``;
* a transient failure of our own (``Retryable``, e.g. a store of the router) is re-raised
  by the router, so the node's LangGraph ``RetryPolicy`` runs the node again — before, the
  router swallowed it into an ``internal_error`` no-opinion and the policy never fired.
"""

from __future__ import annotations

import threading
from typing import Any

from tests.integration.llm.llm_loopback import Loopback
from tests.unit.agents.agents_kit import AS_OF, RecordingJournal, services, strong_scan
from tests.unit.llm.llm_kit import TEST_KEY_REF, model, router, settings

from quorum.agents import analyze, build_analysis_graph
from quorum.clock import ReplayClock
from quorum.errors import Retryable
from quorum.llm import CachedAnswer, MemoryResponseCache
from quorum.ports import NoOpinionReason


class FlakyCache(MemoryResponseCache):
    """The answer cache whose store fails once (a Redis blip), then works."""

    def __init__(self) -> None:
        super().__init__(ReplayClock(AS_OF), 3600)
        self.gets = 0
        self._failed = False
        self._lock = threading.Lock()

    def get(self, key: str) -> CachedAnswer | None:
        with self._lock:
            self.gets += 1
            if not self._failed:
                self._failed = True
                raise Retryable("cache store: connection reset")
        return super().get(key)

    def __bool__(self) -> bool:  # an empty cache is still the cache to use
        return True


def _models(**extra: Any) -> list[dict[str, Any]]:
    return [model("fast-1", role="fast", **extra), model("deep-1", role="deep", **extra)]


def test_our_transient_failure_is_retried_by_the_node_retry_policy() -> None:
    cache = FlakyCache()
    llm = router(settings(_models()), cache=cache)
    journal = RecordingJournal()
    try:
        outcome = analyze(
            build_analysis_graph(services(llm, journal)), strong_scan(), AS_OF, "flaky"
        )
    finally:
        llm.close()

    assert cache.gets == 6, "five prompts, one of them asked twice"
    assert len(outcome.opinions) == 5
    assert all(o.stance is not None for o in outcome.opinions), "no internal_error opinion"
    assert journal.kinds().count("opinion") == 5


def test_a_dead_provider_is_retried_by_litellm_only(loopback: Loopback) -> None:
    loopback.set("dead", status=500)
    http = {
        "litellm_model": "openai/dead",
        "mock": None,
        "api_base": loopback.base_url,
        "price": ("1.00", "4.00"),
        "key_ref": TEST_KEY_REF,
    }
    models = [model("dead", role="fast", **http), model("deep-1", role="deep")]
    llm = router(settings(models, num_retries=1, allowed_fails=10))
    journal = RecordingJournal()
    try:
        outcome = analyze(
            build_analysis_graph(services(llm, journal, debate_rounds=0)),
            strong_scan(),
            AS_OF,
            "dead",
        )
    finally:
        llm.close()

    assert loopback.hit_models() == ["dead"] * 6, "three prompts x (1 + num_retries)"
    reasons = [p["opinion"]["no_opinion_reason"] for _, p in journal.records if "opinion" in p]
    assert len(reasons) == 3
    assert all(r.startswith(NoOpinionReason.PROVIDER_ERROR.value) for r in reasons)
    assert len(outcome.opinions) == 3
