"""The whole graph through the real ``QuorumRouter`` and its offline analyst: no network."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from tests.unit.agents.agents_kit import AS_OF, FAST_RETRY, RecordingJournal, strong_scan

from quorum.agents import (
    STATE_TYPES,
    AgentSettings,
    AnalysisServices,
    PortfolioRiskGate,
    analyze,
    build_analysis_graph,
    checkpoint_serde,
    memory_checkpointer,
)
from quorum.clock import ReplayClock
from quorum.llm import LLMSettings, MemoryBudgetLedger, MemoryResponseCache, build_llm_router
from quorum.risk import MarketInfo, Portfolio, RiskSettings, initial_state


def _services(journal: RecordingJournal) -> AnalysisServices:
    clock = ReplayClock(AS_OF)
    router = build_llm_router(
        LLMSettings(),
        clock=clock,
        secrets=None,
        flags=None,
        budget=MemoryBudgetLedger(),
        cache=MemoryResponseCache(clock, 3600),
    )
    risk = RiskSettings()
    equity = Decimal(10_000)
    gate = PortfolioRiskGate(
        portfolio=Portfolio(equity=equity, margin_available=equity),
        market=MarketInfo(
            symbol="BTC/USDT",
            amount_step=Decimal("0.0001"),
            price_tick=Decimal("0.01"),
            reference_price=Decimal(100),
            atr=Decimal("1.5"),
        ),
        rules_state=initial_state(equity, AS_OF, risk),
        settings=risk,
    )
    return AnalysisServices(
        router=router,
        journal=journal,
        risk_gate=gate,
        run_id="run-offline",
        settings=AgentSettings(retry=FAST_RETRY),
        stop_settings=risk,
    )


def test_offline_analysts_and_the_real_risk_engine_give_a_sized_long_signal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    journal = RecordingJournal()
    graph = build_analysis_graph(_services(journal), memory_checkpointer())
    with caplog.at_level(logging.WARNING, logger="langgraph"):
        outcome = analyze(graph, strong_scan(), AS_OF, "offline-1")
    assert [o.agent for o in outcome.opinions] == [
        "technical",
        "patterns",
        "regime",
        "bull",
        "bear",
    ]
    assert {o.model for o in outcome.opinions} == {"offline"}
    assert all(o.stance is not None and o.stance.value == "bullish" for o in outcome.opinions)
    assert outcome.signal is not None
    assert outcome.decision is not None
    assert outcome.decision.approved
    assert outcome.decision.quantity > 0
    assert outcome.signal.score == outcome.score
    assert outcome.signal.explanation.startswith("Bullish")
    assert journal.kinds().count("opinion") == 5
    payload = journal.records[1][1]
    assert payload["llm"]["model"] == "offline"
    assert payload["llm"]["cost_usd"] == Decimal(0)
    assert [r.getMessage() for r in caplog.records] == []  # no serde allowlist warnings


def test_the_same_scan_gives_the_same_outcome_on_another_thread() -> None:
    graph = build_analysis_graph(_services(RecordingJournal()), memory_checkpointer())
    first = analyze(graph, strong_scan(), AS_OF, "a")
    second = analyze(graph, strong_scan(), AS_OF, "b")
    assert first.model_dump(exclude={"trace"}) == second.model_dump(exclude={"trace"})


def test_the_checkpoint_serializer_round_trips_every_state_value_typed() -> None:
    graph = build_analysis_graph(_services(RecordingJournal()))
    outcome = analyze(graph, strong_scan(), AS_OF, "serde")
    serde = checkpoint_serde()
    for value in (outcome.signal, outcome.decision, outcome.score, list(outcome.opinions)):
        assert serde.loads_typed(serde.dumps_typed(value)) == value
    assert len(STATE_TYPES) == len(set(STATE_TYPES))
