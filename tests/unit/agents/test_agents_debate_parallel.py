"""Bull and bear argue in parallel: two LangGraph branches per round, joined by ``debate``.

They are independent (each sees the analysts and the previous round, not the other's
current argument), so one round costs one model latency, not two. The proof is free of
timing: each side's model call waits on a barrier both must reach, which only a parallel
step can pass (run one after the other, the first call would wait alone and time out).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from pydantic import BaseModel
from tests.unit.agents.agents_kit import AS_OF, RecordingJournal, ScriptedRouter, services
from tests.unit.agents.agents_kit import strong_scan as scan

from quorum.agents import analyze, build_analysis_graph, stream_analysis
from quorum.ports import LLMRequest, LLMResult


@dataclass
class BarrierRouter(ScriptedRouter):
    """Bull and bear calls each wait until the other side's call of the round has started."""

    barrier: threading.Barrier = field(default_factory=lambda: threading.Barrier(2, timeout=10))
    events: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def complete[T: BaseModel](self, request: LLMRequest[T]) -> LLMResult[T]:
        if request.node not in ("bull", "bear"):
            return super().complete(request)
        with self.lock:
            self.events.append(("start", request.node))
        self.barrier.wait()  # BrokenBarrierError unless the other side runs meanwhile
        with self.lock:
            result = super().complete(request)
            self.events.append(("end", request.node))
        return result


def test_the_graph_fans_out_to_bull_and_bear_and_joins_them_in_debate() -> None:
    graph = build_analysis_graph(services(debate_rounds=1)).get_graph()
    edges = {(e.source, e.target) for e in graph.edges}
    for side in ("bull", "bear"):
        for analyst in ("technical", "patterns", "regime"):
            assert (analyst, side) in edges
        assert (side, "debate") in edges
    assert ("bull", "bear") not in edges
    assert ("bear", "bull") not in edges


def test_both_sides_start_before_either_finishes_in_every_round() -> None:
    router, journal = BarrierRouter(), RecordingJournal()
    graph = build_analysis_graph(services(router, journal, debate_rounds=2))

    run = stream_analysis(graph, scan(), AS_OF, "parallel")
    nodes = [event.node for event in run]

    for round_events in (router.events[:4], router.events[4:]):
        assert sorted(round_events[:2]) == [("start", "bear"), ("start", "bull")]
        assert sorted(round_events[2:]) == [("end", "bear"), ("end", "bull")]
    assert nodes.count("debate") == 2
    assert nodes[-3:] == ["score", "risk_gate", "decide"]
    outcome = run.outcome
    assert [o.agent for o in outcome.opinions] == [
        "technical", "patterns", "regime", "bull", "bear", "bull", "bear",
    ]  # fmt: skip
    assert journal.kinds().count("opinion") == 7
    # the second round saw the first round's arguments, not the other side's current one
    second_bull = [r for r in router.requests if r.node == "bull"][1]
    assert "round 2" in second_bull.messages[-1].content.lower()


def test_a_debate_side_failing_once_is_retried_alone() -> None:
    router = ScriptedRouter(fail_once={"bear": TimeoutError("bear timed out")})
    outcome = analyze(build_analysis_graph(services(router, debate_rounds=1)), scan(), AS_OF, "r")
    assert router.calls("bull") == 1
    assert router.calls("bear") == 2
    assert outcome.status == "signal"
