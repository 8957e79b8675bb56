"""One compiled graph, many analyses: each run brings its own services as the run's context."""

from __future__ import annotations

import pytest
from tests.unit.agents.agents_kit import (
    AS_OF,
    FixedRiskGate,
    RecordingJournal,
    ScriptedRouter,
    services,
    strong_scan,
)

from quorum.agents import analyze, build_analysis_graph, compile_analysis_graph, memory_checkpointer


def test_each_run_of_one_compiled_graph_uses_the_services_it_was_handed() -> None:
    gates = FixedRiskGate(), FixedRiskGate(reject="daily loss limit reached")
    journals = RecordingJournal(), RecordingJournal()
    bearish = ScriptedRouter(stances={"technical": ("bearish", 0.9)})
    first = services(ScriptedRouter(), journals[0], gates[0])
    second = services(bearish, journals[1], gates[1])
    graph = compile_analysis_graph(first.settings, memory_checkpointer())

    one = analyze(graph, strong_scan(), AS_OF, "one", services=first)
    two = analyze(graph, strong_scan(), AS_OF, "two", services=second)

    assert one.decision is not None
    assert one.decision.approved
    assert two.decision is not None
    assert not two.decision.approved
    assert [len(gate.seen) for gate in gates] == [1, 1]
    assert journals[0].kinds() == journals[1].kinds()
    assert "opinion" in journals[0].kinds()
    assert bearish.calls("technical") == 1
    technical = next(o for o in two.opinions if o.agent == "technical")
    assert technical.stance == "bearish"


def test_a_shared_graph_decides_as_a_graph_bound_to_the_same_services() -> None:
    bound = analyze(build_analysis_graph(services()), strong_scan(), AS_OF, "bound")
    shared = compile_analysis_graph(services().settings)

    ran = analyze(shared, strong_scan(), AS_OF, "shared", services=services())

    assert ran.model_dump(exclude={"trace"}) == bound.model_dump(exclude={"trace"})


def test_a_shared_graph_run_without_services_is_refused_naming_them() -> None:
    graph = compile_analysis_graph(services().settings)

    with pytest.raises(ValueError, match="services"):
        analyze(graph, strong_scan(), AS_OF, "none")
