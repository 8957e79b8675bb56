"""The bounded prompt context and the proposed signal's levels (pure helpers of the nodes)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.unit.agents.agents_kit import AS_OF, strong_scan

from quorum.agents import (
    AgentSettings,
    build_context,
    context_bytes,
    debate_messages,
    decision_timeframe,
    propose_signal,
)
from quorum.domain import ConfluenceScore, Direction, Timeframe
from quorum.errors import ValidationFailed
from quorum.llm import extract_market_context
from quorum.risk import StopSettings
from quorum.testing import make_agent_opinion


def _score(value: float, probability: float | None = 0.6) -> ConfluenceScore:
    return ConfluenceScore(symbol="BTC/USDT", as_of=AS_OF, score=value, probability=probability)


def test_context_keeps_configured_indicators_and_the_strongest_patterns() -> None:
    settings = AgentSettings(context_indicators=("close", "rsi"), max_patterns_per_timeframe=1)
    context = build_context(strong_scan(), settings)
    assert context.primary_timeframe == "1h"
    for frame in context.timeframes:
        assert list(frame.indicators) == ["close", "rsi"]
        assert [p.name for p in frame.patterns] == ["range_breakout"]  # confidence 0.8


def test_context_is_trimmed_weakest_pattern_first_until_it_fits() -> None:
    full = build_context(strong_scan(), AgentSettings())
    bound = context_bytes(full) - 60
    trimmed = build_context(strong_scan(), AgentSettings(max_context_bytes=bound))
    assert context_bytes(trimmed) <= bound
    kept = sorted((p.confidence for f in trimmed.timeframes for p in f.patterns), reverse=True)
    every = sorted((p.confidence for f in full.timeframes for p in f.patterns), reverse=True)
    assert len(kept) < len(every)
    assert kept == every[: len(kept)]  # only the weakest went
    tight = build_context(strong_scan(), AgentSettings(max_context_bytes=600))
    assert context_bytes(tight) <= 600
    assert all(f.patterns == () for f in tight.timeframes)
    assert [f.regime for f in tight.timeframes] == [f.regime for f in full.timeframes]


def test_decision_timeframe_falls_back_to_the_shortest_when_the_scan_lacks_it() -> None:
    assert decision_timeframe(strong_scan(), AgentSettings(decision_timeframe="4h")) is Timeframe.H4
    assert decision_timeframe(strong_scan(), AgentSettings(decision_timeframe="1d")) is Timeframe.H1


def test_debate_prompt_carries_the_context_block_the_offline_analyst_reads() -> None:
    context = build_context(strong_scan(), AgentSettings())
    opinion = make_agent_opinion(agent="technical", as_of=AS_OF)
    missing = make_agent_opinion(agent="regime", as_of=AS_OF, stance=None, confidence=0.0,
                                 no_opinion_reason="budget_exceeded")  # fmt: skip
    system, user = debate_messages("bear", context, [opinion, missing], [], 1)
    assert "bear advocate" in system.content
    assert "a short position" in system.content
    assert extract_market_context(user.content) == context
    assert "- regime: no opinion (budget_exceeded)" in user.content


@pytest.mark.parametrize(
    ("score", "direction", "stop", "take_profit"),
    [
        (0.4, Direction.LONG, Decimal("97"), Decimal("106")),
        (-0.4, Direction.SHORT, Decimal("103"), Decimal("94")),
    ],
)
def test_signal_levels_follow_the_score_sign_atr_and_reward_risk(
    score: float, direction: Direction, stop: Decimal, take_profit: Decimal
) -> None:
    signal = propose_signal(
        strong_scan(), _score(score), AS_OF, "run-1", AgentSettings(), StopSettings(), "why"
    )
    assert (signal.direction, signal.entry) == (direction, Decimal("100.0"))
    assert (signal.stop_loss, signal.take_profit) == (stop, take_profit)
    assert signal.confidence == 0.6
    assert signal.timeframe is Timeframe.H1


def test_signal_stop_is_clamped_into_the_stop_band() -> None:
    wide = AgentSettings(atr_stop_multiple=Decimal(20))  # 30% away → clamped to 10%
    signal = propose_signal(strong_scan(), _score(0.4), AS_OF, "r", wide, StopSettings(), "")
    assert signal.stop_loss == Decimal("90.00")
    assert signal.take_profit == Decimal("120.00")


@pytest.mark.parametrize(
    ("score", "message"),
    [(_score(0.0), "zero score"), (_score(0.4, None), "calibrate the score first")],
)
def test_signal_needs_a_direction_and_a_probability(score: ConfluenceScore, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        propose_signal(strong_scan(), score, AS_OF, "r", AgentSettings(), StopSettings(), "")


def test_settings_refuse_a_node_without_a_role_and_unknown_policy_nodes() -> None:
    with pytest.raises(ValueError, match="missing the LLM role of node"):
        AgentSettings(roles={"technical": "fast"})
    with pytest.raises(ValueError, match="unknown node"):
        AgentSettings(policies={"sentiment": "cost_aware"})
