"""The offline analyst: answered directly by the router, or by litellm as a custom provider."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from tests.unit.llm.llm_kit import context, migrated_sqlite, request, router, settings

from quorum.llm import AnalystAnswer, analyse, parse_structured, render_prompt
from quorum.llm.backend import LiteLLMBackend
from quorum.llm.offline_provider import register_offline_provider
from quorum.llm.prompts import MarketContext
from quorum.llm.vendor import litellm
from quorum.store.tables.llm import LLM_CALLS_TABLE, llm_table


def _bearish(ctx: MarketContext) -> MarketContext:
    flipped = []
    for tf in ctx.timeframes:
        regime = tf.regime.model_copy(update={"kind": "bear", "trend_score": -0.8, "strength": 0.9})
        patterns = tuple(p.model_copy(update={"bias": "bearish"}) for p in tf.patterns)
        indicators = {**tf.indicators, "rsi_14": 28.0}
        flipped.append(
            tf.model_copy(update={"regime": regime, "patterns": patterns, "indicators": indicators})
        )
    return ctx.model_copy(update={"timeframes": tuple(flipped)})


def test_litellm_routes_quorum_local_models_to_the_offline_analyst() -> None:
    register_offline_provider()
    messages = [
        {"role": role, "content": text}
        for role, text in render_prompt("technical", context(), AnalystAnswer).messages
    ]

    response = litellm.completion(model="quorum-local/analyst-v1", messages=messages)

    parsed = parse_structured(response.choices[0].message.content, AnalystAnswer)
    assert parsed.value == analyse(context())
    assert response.usage.prompt_tokens > 100
    assert response.usage.completion_tokens > 10
    assert response._hidden_params["response_cost"] == 0.0


def test_the_analyst_is_deterministic_and_reads_the_direction_of_the_evidence() -> None:
    bullish = analyse(context())
    bearish = analyse(_bearish(context()))

    assert analyse(context()) == bullish
    assert bullish.stance == "bullish"
    assert bearish.stance == "bearish"
    assert 0.0 < bearish.confidence <= 0.9
    assert any("RSI 28.0" in e for e in bearish.key_evidence)


def test_a_prompt_without_context_gets_a_neutral_zero_confidence_answer() -> None:
    register_offline_provider()

    response = litellm.completion(
        model="quorum-local/analyst-v1", messages=[{"role": "user", "content": "hello"}]
    )

    answer = AnalystAnswer.model_validate_json(response.choices[0].message.content)
    assert answer.stance == "neutral"
    assert answer.confidence == 0.0


def test_the_byte_bound_is_never_below_litellms_token_count() -> None:
    from quorum.llm.tokens import prompt_token_bound

    messages = [
        {"role": role, "content": text}
        for role, text in render_prompt("technical", context(), AnalystAnswer).messages
    ]
    for name in ("openai/gpt-4o-mini", "anthropic/claude-sonnet-4-5", "gemini/gemini-2.5-flash"):
        assert prompt_token_bound(messages) >= litellm.token_counter(model=name, messages=messages)


def test_the_routers_direct_offline_answer_is_the_litellm_providers_answer(
    tmp_path: Path,
) -> None:
    """The router answers the offline analyst without litellm (#22 item 4); inside a
    provider chain litellm reaches it as the ``quorum-local`` provider. Both transports give
    the same answer, the same token counts and so the same ledger row."""
    engine = migrated_sqlite(tmp_path / "ledger.db")
    r = router(settings([]), engine=engine)
    messages = [
        {"role": role, "content": text}
        for role, text in render_prompt("technical", context(), AnalystAnswer).messages
    ]

    result = r.complete(request())
    r.flush()
    via_litellm = LiteLLMBackend(r.registry, r.settings).complete(
        ["offline"], messages, max_tokens=800
    )

    assert result.output == AnalystAnswer.model_validate_json(via_litellm.content)
    assert (result.input_tokens, result.output_tokens) == (
        via_litellm.input_tokens,
        via_litellm.output_tokens,
    )
    calls = llm_table(LLM_CALLS_TABLE).c
    columns = ("model", "provider", "call_kind", "outcome", "input_tokens", "output_tokens")
    with engine.connect() as conn:
        rows = conn.execute(
            select(*(calls[name] for name in (*columns, "cost_nano", "usage")))
        ).all()
    assert [tuple(row) for row in rows] == [
        (
            "offline",
            "quorum-local",
            "offline",
            "ok",
            via_litellm.input_tokens,
            via_litellm.output_tokens,
            0,
            "free",
        )
    ]
