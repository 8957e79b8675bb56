"""A burst of concurrent calls whose real cost fits the cap is not degraded.

Each call holds its worst case (every prompt byte a token, the whole output allowance:
here ~$0.00052 against a real ~$0.000075) until it settles. Ten concurrent calls under a
$0.002 run cap used to get three answers and seven offline degradations while 89 % of the
cap stayed unused. A call denied only by other calls' in-flight holds — the scope's settled
spend leaves room for its worst case — now waits for them to settle (``hold_wait_s``). The
hold stays a true upper bound, so the cap is never passed: a burst beyond it still degrades.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from tests.integration.llm.llm_loopback import Loopback
from tests.unit.llm.llm_kit import TEST_KEY_REF, model, request, router, settings

from quorum.clock import SystemClock
from quorum.ports import LLMResult

BURST = 10


def _burst(loopback: Loopback, cap: str, **budget: Any) -> list[LLMResult[Any]]:
    loopback.set("m", delay_s=0.2)  # the calls overlap
    entry = model(
        "m",
        litellm_model="openai/m",
        mock=None,
        api_base=loopback.base_url,
        price=("0.15", "0.60"),
        key_ref=TEST_KEY_REF,
    )
    limits = {"backend": "memory", "per_day_usd": None, "per_run_usd": cap, **budget}
    r = router(settings([entry], budget=limits), clock=SystemClock())
    results: list[LLMResult[Any]] = []
    lock = threading.Lock()

    def call(i: int) -> None:
        result = r.complete(request(symbol=f"S{i}/USDT"))
        with lock:
            results.append(result)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(BURST)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        r.close()
    return results


def _spent(results: list[LLMResult[Any]]) -> Decimal:
    return sum((x.cost_usd for x in results), Decimal(0))


def test_a_burst_within_the_cap_is_answered_by_the_model(loopback: Loopback) -> None:
    results = _burst(loopback, "0.002", hold_wait_s=30)  # generous: a slow machine is no cap

    assert [x.outcome for x in results] == ["ok"] * BURST
    assert _spent(results) == BURST * Decimal("0.00007515")  # 321 x 0.15e-6 + 45 x 0.6e-6
    assert loopback.hit_models() == ["m"] * BURST


def test_without_waiting_for_holds_the_same_burst_is_mostly_degraded(loopback: Loopback) -> None:
    results = _burst(loopback, "0.002", hold_wait_s=0)

    degraded = [x for x in results if x.outcome == "budget_offline"]
    assert len(degraded) > BURST // 2, "the failure this setting fixes"
    assert _spent(results) < Decimal("0.002") / 4


def test_a_burst_beyond_the_cap_still_degrades_and_never_passes_it(loopback: Loopback) -> None:
    results = _burst(loopback, "0.0008")

    answered = [x for x in results if x.outcome == "ok"]
    degraded = [x for x in results if x.outcome == "budget_offline"]
    assert len(answered) + len(degraded) == BURST
    assert 1 <= len(answered) < BURST
    assert degraded
    assert _spent(results) <= Decimal("0.0008")
    assert all("would pass the cap of run:run-1" in x.why for x in degraded)
