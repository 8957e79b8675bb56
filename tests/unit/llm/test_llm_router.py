"""QuorumRouter end to end on litellm mock responses: policy, budget, cache, repair, ledger."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine
from tests.unit.llm.llm_kit import (
    GOOD_ANSWER,
    START,
    context,
    model,
    request,
    router,
    settings,
)

from quorum.llm import (
    MemoryBudgetLedger,
    RecordingBudgetEvents,
    opinion_from_result,
    recent_calls,
    spend_by,
)
from quorum.ports import LLMRouter, NoOpinionReason

EXPENSIVE = model("best", accuracy=0.8, litellm_model="openai/gpt-4o")
CHEAP = model("cheap", accuracy=0.6, litellm_model="openai/gpt-4o-mini")


def test_the_router_implements_the_port() -> None:
    assert isinstance(router(settings([CHEAP])), LLMRouter)


def test_the_offline_analyst_answers_when_no_provider_key_is_configured() -> None:
    r = router(settings([model("keyed", key_ref="env:QUORUM_TEST_NO_SUCH_KEY")]))

    result = r.complete(request())

    assert result.outcome == "ok"
    assert result.model == "offline"
    assert result.provider == "quorum-local"
    assert result.output is not None
    assert result.cost_usd == 0
    assert result.input_tokens > 0
    assert "no configured model with a usable key" in result.why


def test_accuracy_first_answers_with_the_best_model_and_prices_its_tokens() -> None:
    result = router(settings([CHEAP, EXPENSIVE])).complete(request())

    assert result.model == "best"
    assert result.provider == "openai"
    assert result.policy == "accuracy_first"
    assert (result.input_tokens, result.output_tokens) == (10, 20)  # litellm's mock usage
    assert result.cost_usd == Decimal("0.000225")  # 10 x 2.5e-6 + 20 x 1e-5
    assert result.prompt_version == "technical/1"


def test_a_request_policy_overrides_the_node_and_global_policy() -> None:
    s = settings([CHEAP, EXPENSIVE], node_policies={"technical": "accuracy_first"})

    result = router(s).complete(request(policy="cost_aware"))

    assert result.model == "cheap"
    assert result.policy == "cost_aware"


def test_accuracy_first_picks_the_best_model_the_remaining_budget_can_pay() -> None:
    s = settings([CHEAP, EXPENSIVE], budget={"per_day_usd": "0.002"})

    result = router(s).complete(request())

    assert result.model == "cheap"
    assert "passed over best" in result.why


def test_a_cap_that_would_be_passed_degrades_to_offline_and_is_journaled() -> None:
    events = RecordingBudgetEvents()
    metrics = CollectorRegistry()
    s = settings([EXPENSIVE], budget={"per_day_usd": "0.0001"})

    result = router(s, events=events, registry=metrics).complete(request())

    assert result.outcome == "budget_offline"
    assert result.model == "offline"
    assert result.output is not None
    assert result.cost_usd == 0
    payload, run_id = events.events[0]
    assert (payload["event"], payload["scope"], payload["action"]) == (
        "budget_exceeded",
        "day:2025-03-01",
        "offline",
    )
    assert run_id == "run-1"
    labels = {"scope": "day", "action": "offline"}
    assert metrics.get_sample_value("quorum_llm_budget_exceeded_total", labels) == 1.0


def test_skip_mode_returns_a_typed_no_opinion_instead() -> None:
    s = settings([EXPENSIVE], budget={"per_run_usd": "0.0001", "on_exceeded": "skip"})

    result = router(s).complete(request())

    assert result.output is None
    assert result.no_opinion_reason is NoOpinionReason.BUDGET_EXCEEDED
    assert result.outcome == "budget_skipped"
    assert "run:run-1" in result.why
    opinion = opinion_from_result(result, "technical", "BTC/USDT", START)
    assert opinion.stance is None
    assert opinion.no_opinion_reason is not None
    assert opinion.no_opinion_reason.startswith("budget_exceeded")


def test_settled_spend_is_the_real_cost_not_the_reservation() -> None:
    budget = MemoryBudgetLedger()
    r = router(settings([EXPENSIVE]), budget=budget)

    result = r.complete(request())

    assert budget.spent_nano("day:2025-03-01") == 225_000
    assert budget.held_nano("day:2025-03-01", START) == 0
    assert result.cost_usd == Decimal("0.000225")


def test_invalid_output_is_repaired_once_then_falls_back_to_the_next_model() -> None:
    broken = model("broken", accuracy=0.9, mock="I think it goes up.")
    metrics = CollectorRegistry()

    result = router(settings([broken, CHEAP]), registry=metrics).complete(request())

    assert result.outcome == "ok"
    assert result.model == "cheap"
    assert result.fallbacks == ("broken",)
    assert metrics.get_sample_value("quorum_llm_repairs_total", {"model": "broken"}) == 1.0
    assert result.input_tokens == 30  # first try, repair, fallback


def test_output_that_never_fits_the_schema_is_a_typed_no_opinion() -> None:
    result = router(settings([model("broken", mock='{"stance": "up"}')])).complete(request())

    assert result.output is None
    assert result.no_opinion_reason is NoOpinionReason.INVALID_OUTPUT
    assert result.fallbacks == ("broken",)


def test_an_unexpected_error_inside_the_router_is_a_no_opinion_not_an_exception() -> None:
    class BrokenCache:
        def get(self, key: str) -> None:
            raise RuntimeError("disk on fire")

        def put(self, key: str, answer: object) -> None: ...

    r = router(settings([CHEAP]), cache=BrokenCache())  # type: ignore[arg-type]

    result = r.complete(request())

    assert result.no_opinion_reason is NoOpinionReason.INTERNAL_ERROR


def test_a_second_identical_backtest_is_served_from_the_cache() -> None:
    r = router(settings([CHEAP, EXPENSIVE]))
    symbols = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "ADA/USDT"]

    first = [r.complete(request(symbol=s, ctx=context(s))) for s in symbols]
    second = [r.complete(request(symbol=s, ctx=context(s))) for s in symbols]

    assert not any(x.cache_hit for x in first)
    assert all(x.cache_hit for x in second)
    assert [x.output for x in first] == [x.output for x in second]
    assert sum(x.cost_usd for x in second) == 0
    assert {x.model for x in second} == {"best"}


def test_every_call_lands_in_the_ledger_and_spend_groups_it(engine: Engine) -> None:
    s = settings([CHEAP, EXPENSIVE], budget={"per_day_usd": "0.002"})
    r = router(s, engine=engine)
    r.complete(request())
    r.complete(request(node="regime", template="regime", role="deep"))
    r.complete(request())
    assert r.ledger is not None
    r.ledger.flush()

    rows = recent_calls(engine, 10)
    by_model = {row.key: row for row in spend_by(engine, "model")}
    by_node = {row.key: row.calls for row in spend_by(engine, "node")}

    assert [(c.node, c.model, c.cache_hit) for c in rows] == [
        ("technical", "cheap", False),
        ("regime", "offline", False),
        ("technical", "cheap", True),
    ]
    assert "passed over best" in rows[0].why
    assert by_model["cheap"].calls == 2
    assert by_model["cheap"].cost_usd == Decimal("0.0000135")
    assert by_model["cheap"].cache_hits == 1
    assert by_node == {"technical": 2, "regime": 1}
    assert [row.key for row in spend_by(engine, "day")] == ["2025-03-01"]


def test_metrics_count_calls_tokens_spend_and_latency() -> None:
    metrics = CollectorRegistry()
    r = router(settings([EXPENSIVE]), registry=metrics)

    r.complete(request())
    r.complete(request())

    labels = {"model": "best", "provider": "openai", "node": "technical"}
    assert metrics.get_sample_value("quorum_llm_calls_total", {**labels, "outcome": "ok"}) == 1
    assert (
        metrics.get_sample_value("quorum_llm_calls_total", {**labels, "outcome": "cache_hit"}) == 1
    )
    assert (
        metrics.get_sample_value("quorum_llm_tokens_total", {"model": "best", "direction": "in"})
        == 10
    )
    spent = metrics.get_sample_value(
        "quorum_llm_spend_usd_total", {"model": "best", "node": "technical"}
    )
    assert spent == pytest.approx(0.000225)
    assert metrics.get_sample_value("quorum_llm_cache_hits_total", {"node": "technical"}) == 1
    assert metrics.get_sample_value("quorum_llm_budget_remaining_usd", {"scope": "day"}) is not None
    count = metrics.get_sample_value(
        "quorum_llm_latency_seconds_count", {"model": "best", "provider": "openai"}
    )
    assert count == 2


def test_a_result_converts_to_the_domain_opinion() -> None:
    result = router(settings([CHEAP])).complete(request())

    opinion = opinion_from_result(result, "technical", "BTC/USDT", START)

    assert opinion.has_opinion
    assert opinion.model == "cheap"
    assert opinion.prompt_version == "technical/1"
    assert opinion.key_evidence == tuple(__import__("json").loads(GOOD_ANSWER)["key_evidence"])


def test_a_budget_event_is_appended_to_the_audit_journal(engine: Engine) -> None:
    from quorum.clock import ReplayClock
    from quorum.domain import JournalKind
    from quorum.journal import Journal
    from quorum.llm import JournalBudgetEvents

    clock = ReplayClock(START)
    journal = Journal(engine, clock)
    s = settings([EXPENSIVE], budget={"per_day_usd": "0.0001"})
    r = router(s, clock=clock, events=JournalBudgetEvents(journal, engine))

    r.complete(request())

    (entry,) = journal.read(kinds=[JournalKind.BUDGET_EVENT])
    assert entry.actor == "llm.router"
    assert entry.run_id == "run-1"
    assert entry.payload["scope"] == "day:2025-03-01"
    assert entry.payload["action"] == "offline"
    assert journal.verify().ok


def test_paid_models_wait_for_the_allow_paid_flag(tmp_path: Path) -> None:
    from quorum.clock import ReplayClock
    from quorum.config import FileFlagStore

    clock = ReplayClock(START)
    flags = FileFlagStore(
        tmp_path / "flags.json", clock=clock, guard=lambda _: None, recorder=_NoRecorder(), env={}
    )
    r = router(settings([EXPENSIVE]), clock=clock, flags=flags)

    off = r.complete(request())
    flags.set("llm.allow_paid", True, actor="ops", reason="budget approved")
    clock.advance(timedelta(seconds=2))
    on = r.complete(request())  # the same prompt: the gated offline answer was not cached

    assert (off.model, on.model) == ("offline", "best")
    assert on.cache_hit is False
    assert "flag llm.allow_paid" in off.why


class _NoRecorder:
    def record(self, change: object) -> None:
        return None


def test_closing_the_router_unhooks_litellms_global_callbacks() -> None:
    """litellm.Router adds its deployment callbacks to process-wide lists and never removes
    them; a process that rebuilds its router (hot reload) must not accumulate them."""
    import litellm

    def hooked() -> int:
        lists = (litellm.callbacks, litellm.success_callback, litellm.failure_callback)
        return sum(len(x) for x in (*lists, litellm._async_success_callback))

    router(settings([CHEAP])).close()  # litellm's own one-time hooks on first use
    baseline = hooked()
    routers = [router(settings([CHEAP])) for _ in range(3)]
    assert hooked() > baseline  # each Router hooks itself in

    for r in routers:
        r.close()

    assert hooked() == baseline
