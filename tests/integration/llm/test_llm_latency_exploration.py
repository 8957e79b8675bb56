"""latency_aware explores a model without history instead of never trying it.

Before: a model without latency history was ranked at ``assumed_latency_s`` (5 s), so as
soon as any other model had a p95 below that, the new model was never called and never
got a latency of its own. Now a model with fewer than ``MIN_HISTORY`` recorded calls is
tried first until it has them; then the measured p95 decides.
"""

from __future__ import annotations

from typing import Any

from tests.integration.llm.llm_loopback import Loopback
from tests.unit.llm.llm_kit import TEST_KEY_REF, model, request, router, settings

from quorum.llm.policies import MIN_HISTORY
from quorum.llm.stats import Sample


def _http(name: str, loopback: Loopback) -> dict[str, Any]:
    return model(
        name,
        litellm_model=f"openai/{name}",
        mock=None,
        api_base=loopback.base_url,
        price=("1.00", "4.00"),
        key_ref=TEST_KEY_REF,
    )


def test_latency_aware_tries_a_model_without_history_until_it_has_some(
    loopback: Loopback,
) -> None:
    r = router(settings([_http("known", loopback), _http("fresh", loopback)]))
    for _ in range(20):  # "known" answers in 30 s; "fresh" was never tried
        r.stats.record("known", Sample(True, 30.0, 1000, 40))
    try:
        results = [
            r.complete(request(policy="latency_aware", symbol=f"S{i}/USDT"))
            for i in range(MIN_HISTORY + 1)
        ]
    finally:
        r.close()

    assert [x.model for x in results[:MIN_HISTORY]] == ["fresh"] * MIN_HISTORY
    assert "exploring fresh" in results[0].why
    assert r.stats.get("fresh").calls == MIN_HISTORY + 1
    # measured now: the loopback answers well within "known"'s 30 s
    assert results[-1].model == "fresh"
    assert "lowest p95 latency" in results[-1].why
    assert loopback.hit_models() == ["fresh"] * (MIN_HISTORY + 1)
