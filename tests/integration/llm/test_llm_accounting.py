"""Every provider call and dollar accounted for, against the loopback provider's own log.

The ledger holds one row per HTTP call (retries, repairs and fallbacks included) with the
tokens the provider reported; missing or implausible usage is charged the reserved worst
case and flagged, an over-report is clipped to the reservation; offline and fallback
answers are cached under the model that gave them, never served to a paid model's request.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy import Engine
from tests.integration.llm.llm_loopback import Loopback, http_model
from tests.unit.llm.llm_kit import (
    GOOD_ANSWER,
    START,
    TEST_KEY_VARIABLE,
    migrated_sqlite,
    request,
    router,
    settings,
)

from quorum.clock import ReplayClock
from quorum.config import EnvSecrets
from quorum.llm import LLMSettings, SqlResponseCache
from quorum.llm.ledger import CallRecord, recent_calls
from quorum.llm.money import from_nano
from quorum.llm.router import QuorumRouter

OFFLINE_PROVIDER = "quorum-local"


def _http(name: str, loopback: Loopback, accuracy: float) -> dict[str, Any]:
    return http_model(loopback, name, accuracy)


def _settings(loopback: Loopback, names: list[str], **overrides: Any) -> LLMSettings:
    models = [_http(n, loopback, 0.9 - i * 0.1) for i, n in enumerate(names)]
    return settings(models, **{"allowed_fails": 3, **overrides})


def _router(
    llm: LLMSettings,
    engine: Engine,
    *,
    key: bool = True,
    registry: CollectorRegistry | None = None,
) -> QuorumRouter:
    clock = ReplayClock(START)
    return router(
        llm,
        clock=clock,
        engine=engine,
        cache=SqlResponseCache(engine, clock, 3600),
        secrets=EnvSecrets({TEST_KEY_VARIABLE: "sk-test"} if key else {}),
        registry=registry,
    )


def provider_rows(engine: Engine) -> list[CallRecord]:
    """The ledger rows of calls that went to a provider over HTTP, in order."""
    return [
        r
        for r in recent_calls(engine, 10_000)
        if r.provider != OFFLINE_PROVIDER and not r.cache_hit and r.model
    ]


def assert_ledger_equals_provider_log(
    engine: Engine, loopback: Loopback, *, ordered: bool = True
) -> list[CallRecord]:
    """Call by call: the model asked, whether it failed, the tokens it reported and their
    price (``ordered=False`` when calls ran concurrently: the same calls, any order)."""
    rows = provider_rows(engine)
    ledger = [(r.model, r.outcome == "failed", r.input_tokens, r.output_tokens) for r in rows]
    log = [(h.model, h.status != 200, *(h.usage or (0, 0))) for h in loopback.hits]
    if not ordered:
        ledger, log = sorted(ledger), sorted(log)
    assert ledger == log
    for row in rows:  # every test model costs $1 / $4 per million tokens
        expected = (Decimal(row.input_tokens) + 4 * Decimal(row.output_tokens)) / 10**6
        if row.usage == "reported":
            assert row.cost_usd == expected, row
    return rows


def test_ledger_has_one_row_per_provider_call_with_retries_repairs_and_fallbacks(
    loopback: Loopback, tmp_path: Path
) -> None:
    engine = migrated_sqlite(tmp_path / "q.db")
    loopback.set(
        "alpha",
        statuses=[500, 200, 200, 200, 500, 500],
        contents=[GOOD_ANSWER, GOOD_ANSWER, "Bullish!", GOOD_ANSWER],
    )
    r = _router(_settings(loopback, ["alpha", "beta"], num_retries=1), engine)

    retried = r.complete(request(symbol="BTC/USDT"))
    repaired = r.complete(request(symbol="ETH/USDT"))
    fell_back = r.complete(request(symbol="SOL/USDT"))
    r.close()

    assert (retried.outcome, repaired.outcome, fell_back.model) == ("ok", "repaired", "beta")
    rows = assert_ledger_equals_provider_log(engine, loopback)
    assert [r.call_kind for r in rows] == [
        "call",
        "retry",
        "call",
        "repair",
        "call",
        "retry",
        "fallback",
    ]
    assert [r.outcome for r in rows][:2] == ["failed", "ok"]
    assert len({r.request_id for r in rows}) == 3
    spent = sum((x.cost_usd for x in (retried, repaired, fell_back)), Decimal(0))
    assert sum((row.cost_usd for row in rows), Decimal(0)) == spent


def test_an_answer_without_usage_is_charged_the_reserved_worst_case_and_flagged(
    loopback: Loopback, tmp_path: Path
) -> None:
    engine = migrated_sqlite(tmp_path / "q.db")
    metrics = CollectorRegistry()
    loopback.set("alpha", usage=False)
    r = _router(_settings(loopback, ["alpha"]), engine, registry=metrics)

    result = r.complete(request())
    r.close()

    (row,) = provider_rows(engine)
    assert row.usage == "missing"
    assert row.reserved_nano > 0
    assert row.cost_nano == row.reserved_nano
    assert result.cost_usd == from_nano(row.reserved_nano)
    assert "no usage" in result.why
    anomalies = metrics.get_sample_value(
        "quorum_llm_usage_anomalies_total", {"model": "alpha", "kind": "missing"}
    )
    assert anomalies == 1


def test_an_over_reported_usage_is_clipped_to_the_reservation_and_alerts(
    loopback: Loopback, tmp_path: Path
) -> None:
    engine = migrated_sqlite(tmp_path / "q.db")
    metrics = CollectorRegistry()
    loopback.set("alpha", prompt_tokens=2_000_000, completion_tokens=90_000)
    r = _router(_settings(loopback, ["alpha"]), engine, registry=metrics)

    result = r.complete(request())
    r.close()

    (row,) = provider_rows(engine)
    assert row.usage == "implausible"
    assert (row.input_tokens, row.output_tokens) == (2_000_000, 90_000)  # as reported
    assert 0 < row.cost_nano == row.reserved_nano
    assert result.cost_usd == from_nano(row.reserved_nano)
    assert result.cost_usd < Decimal("2.36")  # what the report would have cost
    anomalies = metrics.get_sample_value(
        "quorum_llm_usage_anomalies_total", {"model": "alpha", "kind": "implausible"}
    )
    assert anomalies == 1


def test_an_offline_answer_is_never_served_to_a_paid_models_request(
    loopback: Loopback, tmp_path: Path
) -> None:
    """Keys missing → the offline analyst answers (and is cached); keys back → the paid
    model is asked, not the cached heuristic (a new process over the same SQL cache)."""
    engine = migrated_sqlite(tmp_path / "q.db")
    llm = _settings(loopback, ["alpha"])
    keyless = _router(llm, engine, key=False)
    offline = keyless.complete(request())
    again = keyless.complete(request())
    keyless.close()

    paid = _router(llm, engine)
    answered = paid.complete(request())
    paid.close()

    assert offline.model == "offline"
    assert again.cache_hit
    assert again.model == "offline"
    assert loopback.hit_models() == ["alpha"]
    assert (answered.model, answered.cache_hit) == ("alpha", False)


def test_a_fallback_answer_is_not_served_when_the_paid_head_is_asked_again(
    loopback: Loopback, tmp_path: Path
) -> None:
    engine = migrated_sqlite(tmp_path / "q.db")
    loopback.set("alpha", statuses=[500])
    r = _router(_settings(loopback, ["alpha"], offline={"fallback": True}), engine)

    first = r.complete(request())
    second = r.complete(request())
    third = r.complete(request())
    r.close()

    assert first.model == "offline"
    assert first.fallbacks == ("alpha",)
    assert (second.model, second.cache_hit) == ("alpha", False)
    assert (third.model, third.cache_hit) == ("alpha", True)
    assert loopback.hit_models() == ["alpha", "alpha"]
