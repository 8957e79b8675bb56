"""Each node of the analysis graph on its own: plain functions of (state, services)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from tests.unit.agents.agents_kit import (
    AS_OF,
    CLOSE,
    FixedRiskGate,
    RecordingJournal,
    ScriptedRouter,
    flat_scan,
    services,
    strong_scan,
)

from quorum.agents import AnalysisServices, AnalysisState, DebateTurn
from quorum.agents.nodes import (
    after_debate,
    after_prefilter,
    after_score,
    analyst_node,
    context_node,
    debate_node,
    debater_node,
    decide_node,
    prefilter_node,
    risk_gate_node,
    score_node,
)
from quorum.domain import Direction, JournalKind, ScanResult
from quorum.llm import MarketContext
from quorum.testing import make_agent_opinion


def _state(scan: ScanResult | None = None, **fields: Any) -> AnalysisState:
    return AnalysisState(scan=scan or strong_scan(), as_of=AS_OF, **fields)


def _apply(state: AnalysisState, update: dict[str, Any]) -> AnalysisState:
    """What LangGraph does with an update: lists append (operator.add), the rest replace."""
    data = dict(state)
    for key, value in update.items():
        data[key] = data[key] + value if isinstance(value, list) else value
    return AnalysisState.model_validate(data)


def _through(state: AnalysisState, svc: AnalysisServices, *nodes: Any) -> AnalysisState:
    for node in nodes:
        state = _apply(state, node(state, svc))
    return state


def _analysed(svc: AnalysisServices) -> AnalysisState:
    state = _through(_state(), svc, context_node, prefilter_node)
    for agent in ("technical", "patterns", "regime"):
        state = _apply(state, analyst_node(state, svc, agent))
    return state


def test_context_node_stores_a_bounded_context_with_the_decision_timeframe_as_primary() -> None:
    update = context_node(_state(), services(decision_timeframe="4h", max_context_bytes=1200))
    context = MarketContext.model_validate(update["context"])
    assert context.primary_timeframe == "4h"
    assert update["trace"][0].data["bytes"] <= 1200


def test_prefilter_passes_a_strong_scan_and_journals_its_score() -> None:
    journal = RecordingJournal()
    update = prefilter_node(_state(), services(journal=journal))
    assert update["prefilter"].score > 0.5
    assert "no_trade_reason" not in update
    assert journal.kinds() == ["score"]
    assert journal.records[0][1]["stage"] == "prefilter"


def test_prefilter_sets_a_no_trade_reason_when_the_quantitative_score_is_too_weak() -> None:
    update = prefilter_node(_state(flat_scan()), services(prefilter_threshold=0.2))
    assert update["no_trade_reason"] == "no-trade: prefilter score +0.000 below 0.200"
    assert update["trace"][0].status == "skipped"
    assert after_prefilter(_apply(_state(flat_scan()), update)) == "decide"
    assert after_prefilter(_state()) == ["technical", "patterns", "regime"]


def test_analyst_node_asks_the_router_with_its_template_role_and_policy_and_journals() -> None:
    router, journal = ScriptedRouter(stances={"patterns": ("bearish", 0.6)}), RecordingJournal()
    svc = services(router, journal, policies={"patterns": "cost_aware"})
    state = _through(_state(), svc, context_node)
    update = analyst_node(state, svc, "patterns")
    (request,) = router.requests
    assert (request.node, request.role, request.template, request.policy) == (
        "patterns",
        "fast",
        "patterns",
        "cost_aware",
    )
    assert request.context == state.context
    assert request.run_id == "run-agents"
    (opinion,) = update["opinions"]
    assert (opinion.agent, opinion.stance, opinion.confidence) == ("patterns", "bearish", 0.6)
    assert journal.kinds() == ["opinion"]
    assert journal.records[0][1]["opinion"]["agent"] == "patterns"


def test_analyst_node_refuses_an_unknown_agent() -> None:
    with pytest.raises(ValueError, match="agent: must be one of"):
        analyst_node(_state(), services(), "sentiment")


def _round(state: AnalysisState, svc: AnalysisServices) -> list[dict[str, Any]]:
    """Both sides of one round on the same state (as the parallel step runs them)."""
    return [debater_node(state, svc, side) for side in ("bull", "bear")]


def test_debaters_argue_over_all_analysts_and_number_their_rounds() -> None:
    router = ScriptedRouter(stances={"bear": ("bearish", 0.4)})
    svc = services(router, debate_rounds=2)
    state = _analysed(svc)
    first = _round(state, svc)
    assert [(t.round, t.opinion.agent) for u in first for t in u["debate"]] == [
        (1, "bull"),
        (1, "bear"),
    ]
    bull_request = router.requests[-2]
    assert (bull_request.node, bull_request.role, bull_request.template) == ("bull", "deep", None)
    prompt = bull_request.messages[1].content
    assert "```json\n" in prompt
    for agent in ("technical", "patterns", "regime"):
        assert f"- {agent}: bullish (confidence 0.70)" in prompt
    assert "previous round" not in prompt
    for update in first:
        state = _apply(state, update)
    joined = debate_node(state, svc)
    assert joined["trace"][0].detail == "round 1: bull bullish 0.70; bear bearish 0.40"
    assert after_debate(state, 2) == ["bull", "bear"]
    second = _round(state, svc)
    assert [t.round for u in second for t in u["debate"]] == [2, 2]
    assert "- bear: bearish (confidence 0.40)" in router.requests[-2].messages[1].content
    for update in second:
        state = _apply(state, update)
    assert after_debate(state, 2) == "score"


def test_debater_node_refuses_an_unknown_side() -> None:
    with pytest.raises(ValueError, match="side: must be one of"):
        debater_node(_state(), services(), "judge")


def test_score_node_counts_analysts_and_the_final_debate_round_and_calibrates() -> None:
    journal = RecordingJournal()
    svc = services(journal=journal)
    state = _analysed(svc)
    for side_update in _round(state, svc):
        state = _apply(state, side_update)
    update = score_node(state, svc)
    score = update["score"]
    names = {c.name for c in score.components}
    assert {"llm:technical", "llm:patterns", "llm:regime", "llm:bull", "llm:bear"} <= names
    assert score.probability == 0.5  # the prior-only calibrator
    assert journal.kinds()[-1] == "score"
    assert journal.records[-1][1]["stage"] == "final"
    assert after_score(_apply(state, update)) == "risk_gate"


def test_score_node_ends_in_no_trade_when_the_final_score_is_too_weak() -> None:
    svc = services(prefilter_threshold=0.0, min_trade_score=0.5)
    update = score_node(_through(_state(flat_scan()), svc, context_node), svc)
    assert update["no_trade_reason"] == "no-trade: score +0.000 below 0.500"
    assert after_score(_apply(_state(flat_scan()), update)) == "decide"


def _scored(svc: AnalysisServices, scan: ScanResult | None = None) -> AnalysisState:
    state = _through(_state(scan), svc, context_node, prefilter_node)
    return _apply(state, score_node(state, svc))


def test_risk_gate_node_proposes_a_long_at_the_last_close_and_asks_the_risk_engine() -> None:
    gate, journal = FixedRiskGate(), RecordingJournal()
    svc = services(gate=gate, journal=journal)
    update = risk_gate_node(_scored(svc), svc)
    ((signal, as_of),) = gate.seen
    assert as_of == AS_OF
    assert signal.direction is Direction.LONG
    assert signal.entry == Decimal(repr(CLOSE))
    assert signal.stop_loss == Decimal("97")  # 2 × ATR 1.5 below 100
    assert signal.take_profit == Decimal("106")  # reward:risk 2
    assert signal.explanation.startswith("Bullish")
    assert update["risk"].approved
    assert journal.kinds()[-1] == "risk_decision"


def test_risk_gate_node_gives_no_trade_without_calling_the_gate_when_atr_is_missing() -> None:
    scan = strong_scan()
    frames = tuple(
        t.model_copy(
            update={
                "snapshot": t.snapshot.model_copy(
                    update={"values": {k: v for k, v in t.snapshot.values.items() if k != "atr"}}
                )
            }
        )
        for t in scan.timeframes
    )
    scan = scan.model_copy(update={"timeframes": frames})
    gate = FixedRiskGate()
    svc = services(gate=gate, prefilter_threshold=0.0)
    update = risk_gate_node(_scored(svc, scan), svc)
    assert gate.seen == []
    assert update["no_trade_reason"].startswith("no-trade: cannot place the trade: scan[1h].atr")


def test_decide_node_emits_the_signal_with_the_risk_note_and_journals_it() -> None:
    journal = RecordingJournal()
    svc = services(journal=journal)
    state = _scored(svc)
    state = _apply(state, risk_gate_node(state, svc))
    update = decide_node(state, svc)
    signal = update["signal"]
    assert signal is not None
    assert update["no_trade_reason"] is None
    assert "Risk: approved, quantity 1.5" in signal.explanation
    kind, payload = journal.records[-1]
    assert kind is JournalKind.SIGNAL
    assert payload["outcome"] == "signal"
    assert payload["quantity"] == Decimal("1.5")


def test_decide_node_turns_a_rejection_into_a_no_trade_with_the_risk_reason() -> None:
    journal = RecordingJournal()
    svc = services(journal=journal, gate=FixedRiskGate(reject="daily loss 3.1% over 3%"))
    state = _scored(svc)
    state = _apply(state, risk_gate_node(state, svc))
    update = decide_node(state, svc)
    assert update["signal"] is None
    assert update["no_trade_reason"] == "no-trade: risk gate rejected: daily loss 3.1% over 3%"
    assert journal.records[-1][1]["outcome"] == "no_trade"


def test_decide_node_keeps_an_earlier_no_trade_reason() -> None:
    update = decide_node(_state(no_trade_reason="no-trade: prefilter score +0.000"), services())
    assert update["no_trade_reason"] == "no-trade: prefilter score +0.000"
    assert update["decided"] is True


def test_final_debate_round_is_what_the_score_sees() -> None:
    state = _state(
        debate=[
            DebateTurn(round=1, opinion=make_agent_opinion(agent="bull", as_of=AS_OF)),
            DebateTurn(round=2, opinion=make_agent_opinion(agent="bear", as_of=AS_OF)),
            DebateTurn(round=2, opinion=make_agent_opinion(agent="bull", as_of=AS_OF)),
        ]
    )
    from quorum.agents.state import final_debate

    assert [o.agent for o in final_debate(state)] == ["bull", "bear"]
