"""The router against a loopback OpenAI-compatible server, through litellm's real HTTP path.

Fallback order, cooldown of a failing (single-deployment) model, timeouts, retries,
malformed output with its one repair retry, broken JSON on the wire, budget degradation.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.integration.llm.llm_loopback import Loopback, http_model
from tests.unit.llm.llm_kit import (
    GOOD_ANSWER,
    request,
    router,
    settings,
)

from quorum.clock import SystemClock
from quorum.llm import LLMSettings, RecordingBudgetEvents
from quorum.ports import NoOpinionReason

SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "ADA/USDT", "DOT/USDT", "BNB/USDT")


def _http(name: str, loopback: Loopback, accuracy: float, **extra: Any) -> dict[str, Any]:
    return http_model(loopback, name, accuracy, **extra)


def _settings(loopback: Loopback, names: list[str], **overrides: Any) -> LLMSettings:
    models = [_http(n, loopback, 0.9 - i * 0.1) for i, n in enumerate(names)]
    return settings(models, **{"allowed_fails": 0, **overrides})


def test_fallbacks_follow_the_policy_order_across_failing_providers(loopback: Loopback) -> None:
    loopback.set("alpha", status=500)
    loopback.set("beta", status=429)
    r = router(_settings(loopback, ["alpha", "beta", "gamma"]))

    result = r.complete(request())

    assert loopback.hit_models() == ["alpha", "beta", "gamma"]
    assert result.model == "gamma"
    assert result.fallbacks == ("alpha", "beta")
    assert (result.input_tokens, result.output_tokens) == (321, 45)
    assert str(result.cost_usd) == "0.000501"  # 321 x 1e-6 + 45 x 4e-6


def test_a_failing_single_deployment_model_is_cooled_down(loopback: Loopback) -> None:
    loopback.set("alpha", status=500)
    r = router(_settings(loopback, ["alpha"]))

    first = r.complete(request(symbol="BTC/USDT"))
    second = r.complete(request(symbol="ETH/USDT"))

    assert first.no_opinion_reason is NoOpinionReason.PROVIDER_ERROR
    assert second.no_opinion_reason is NoOpinionReason.NO_MODEL_AVAILABLE
    assert "cooling down: alpha" in second.why
    assert loopback.hit_models() == ["alpha"]


def test_a_slow_provider_times_out_falls_back_and_is_not_waited_for_again(
    loopback: Loopback,
) -> None:
    loopback.set("slow", delay_s=3.0)
    models = [
        _http("slow", loopback, 0.9, timeout_s=0.4),
        _http("steady", loopback, 0.5),
    ]
    clock = SystemClock()
    r = router(settings(models, allowed_fails=0), clock=clock)

    first = r.complete(request(symbol="BTC/USDT"))
    started = clock.monotonic()
    second = r.complete(request(symbol="ETH/USDT"))
    second_s = clock.monotonic() - started

    assert first.model == "steady"
    assert first.fallbacks == ("slow",)
    assert second.model == "steady"
    assert second.fallbacks == ()
    assert second_s < 0.4
    assert loopback.hit_models() == ["slow", "steady", "steady"]


def test_a_transient_error_is_retried_by_litellm(loopback: Loopback) -> None:
    loopback.set("alpha", statuses=[500])
    r = router(_settings(loopback, ["alpha"], num_retries=1, allowed_fails=3))

    result = r.complete(request())

    assert result.model == "alpha"
    assert result.fallbacks == ()
    assert loopback.hit_models() == ["alpha", "alpha"]


def test_malformed_output_gets_one_repair_retry_with_the_error(loopback: Loopback) -> None:
    loopback.set("alpha", contents=["Bullish, clearly.", GOOD_ANSWER])
    r = router(_settings(loopback, ["alpha", "beta"]))

    result = r.complete(request())

    assert result.outcome == "repaired"
    assert result.model == "alpha"
    assert loopback.hit_models() == ["alpha", "alpha"]
    repair = loopback.hits[1].messages
    assert repair[-2] == {"role": "assistant", "content": "Bullish, clearly."}
    assert "did not match the required schema" in repair[-1]["content"]
    assert "Invalid JSON" in repair[-1]["content"]
    assert (result.input_tokens, result.output_tokens) == (642, 90)


def test_output_still_malformed_after_repair_falls_back(loopback: Loopback) -> None:
    loopback.set("alpha", contents=['{"stance": "up"}', '{"stance": "up"}'])
    r = router(_settings(loopback, ["alpha", "beta"]))

    result = r.complete(request())

    assert result.outcome == "ok"
    assert result.model == "beta"
    assert result.fallbacks == ("alpha",)
    assert loopback.hit_models() == ["alpha", "alpha", "beta"]


def test_broken_json_on_the_wire_falls_back(loopback: Loopback) -> None:
    loopback.set("alpha", raw_body=b'{"id": "x", "choices": [')
    r = router(_settings(loopback, ["alpha", "beta"]))

    result = r.complete(request())

    assert result.model == "beta"
    assert result.fallbacks == ("alpha",)


def test_a_cap_degrades_to_offline_without_calling_the_provider(loopback: Loopback) -> None:
    events = RecordingBudgetEvents()
    r = router(_settings(loopback, ["alpha"], budget={"per_symbol_usd": "0.0001"}), events=events)

    result = r.complete(request())

    assert result.outcome == "budget_offline"
    assert result.model == "offline"
    assert loopback.hits == []
    assert events.events[0][0]["scope"] == "symbol:BTC/USDT:2025-03-01"


def test_budget_pays_for_calls_until_the_cap_then_degrades(loopback: Loopback) -> None:
    cap = Decimal("0.005")
    r = router(_settings(loopback, ["alpha"], budget={"per_run_usd": str(cap)}))

    results = [r.complete(request(symbol=s)) for s in SYMBOLS]

    models = [x.model for x in results]
    paid = models.index("offline")
    assert paid >= 1
    assert models == ["alpha"] * paid + ["offline"] * (len(SYMBOLS) - paid)
    assert sum(x.cost_usd for x in results) <= cap
    assert len(loopback.hits) == paid


def test_json_mode_and_the_output_cap_reach_the_provider(loopback: Loopback) -> None:
    models = [_http("alpha", loopback, 0.9, response_format="json_object")]
    r = router(settings(models, offline={"fallback": True}))

    result = r.complete(request(max_output_tokens=250))

    assert result.model == "alpha"
    body = loopback.hits[0].body
    assert body["response_format"] == {"type": "json_object"}
    assert body["max_tokens"] == 250
