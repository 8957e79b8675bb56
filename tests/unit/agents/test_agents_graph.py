"""The compiled graph: parallel join, skip edge, retries, streaming, journaling, resume."""

from __future__ import annotations

import pytest
from tests.unit.agents.agents_kit import (
    AS_OF,
    OrderLog,
    RecordingJournal,
    ScriptedRouter,
    flat_scan,
    services,
    strong_scan,
)

from quorum.agents import (
    AnalysisOutcome,
    analyze,
    build_analysis_graph,
    memory_checkpointer,
    stream_analysis,
)
from quorum.errors import Retryable

LLM_NODES = ("technical", "patterns", "regime", "bull", "bear")


def _comparable(outcome: AnalysisOutcome) -> dict[str, object]:
    return outcome.model_dump(exclude={"trace"})


def test_the_three_analysts_run_in_one_step_and_the_debate_waits_for_all_of_them() -> None:
    router = ScriptedRouter(stances={"regime": ("neutral", 0.5)})
    graph = build_analysis_graph(services(router))
    run = stream_analysis(graph, strong_scan(), AS_OF, "join")
    nodes = [event.node for event in run]
    assert nodes[:2] == ["context", "prefilter"]
    assert sorted(nodes[2:5]) == ["patterns", "regime", "technical"]
    assert sorted(nodes[5:7]) == ["bear", "bull"]  # in parallel, after all three
    assert nodes[7:] == ["debate", "score", "risk_gate", "decide"]
    outcome = run.outcome
    assert [o.agent for o in outcome.opinions] == [
        "technical",
        "patterns",
        "regime",
        "bull",
        "bear",
    ]
    debate_prompt = next(r for r in router.requests if r.node == "bull").messages[1].content
    assert "- regime: neutral (confidence 0.50)" in debate_prompt
    assert "- technical: bullish" in debate_prompt
    assert "- patterns: bullish" in debate_prompt
    assert outcome.status == "signal"
    assert outcome.signal is not None
    assert outcome.decision is not None


def test_a_weak_prefilter_score_skips_every_llm_node() -> None:
    router, journal = ScriptedRouter(), RecordingJournal()
    graph = build_analysis_graph(services(router, journal, prefilter_threshold=0.2))
    run = stream_analysis(graph, flat_scan(), AS_OF, "skip")
    assert [event.node for event in run] == ["context", "prefilter", "decide"]
    outcome = run.outcome
    assert router.requests == []
    assert outcome.no_trade_reason == "no-trade: prefilter score +0.000 below 0.200"
    assert outcome.opinions == ()
    assert outcome.score is None
    assert outcome.decision is None
    assert journal.kinds() == ["score", "signal"]
    assert journal.records[-1][1]["outcome"] == "no_trade"


@pytest.mark.parametrize("error", [TimeoutError("llm timed out"), Retryable("provider 503")])
def test_a_failing_llm_node_is_retried_by_its_retry_policy(error: Exception) -> None:
    router = ScriptedRouter(fail_once={"patterns": error})
    journal = RecordingJournal()
    outcome = analyze(build_analysis_graph(services(router, journal)), strong_scan(), AS_OF, "r")
    assert router.calls("patterns") == 2
    assert router.calls("technical") == router.calls("regime") == 1
    assert [o.agent for o in outcome.opinions][:3] == ["technical", "patterns", "regime"]
    assert journal.kinds().count("opinion") == 5  # the failed attempt journaled nothing
    assert outcome.status == "signal"


def test_a_programming_error_is_not_retried() -> None:
    router = ScriptedRouter(fail_always={"regime": KeyError("bug")})
    graph = build_analysis_graph(services(router))
    with pytest.raises(KeyError):
        analyze(graph, strong_scan(), AS_OF, "bug")
    assert router.calls("regime") == 1


def test_retries_stop_after_max_attempts() -> None:
    router = ScriptedRouter(fail_always={"technical": TimeoutError("down")})
    graph = build_analysis_graph(services(router))
    with pytest.raises(TimeoutError):
        analyze(graph, strong_scan(), AS_OF, "down")
    assert router.calls("technical") == 3


def test_every_opinion_score_and_decision_is_journaled_before_its_node_returns() -> None:
    log = OrderLog()
    journal = RecordingJournal(log=log)
    graph = build_analysis_graph(services(ScriptedRouter(log=log), journal))
    run = stream_analysis(graph, strong_scan(), AS_OF, "journal")
    for event in run:
        log.entries.append(("node", event.node))
    assert journal.kinds() == [
        "score", "opinion", "opinion", "opinion", "opinion", "opinion",
        "score", "risk_decision", "signal",
    ]  # fmt: skip
    assert log.index(("journal", "score")) < log.index(("node", "prefilter"))
    assert log.last_index(("journal", "opinion")) < log.index(("node", "debate"))
    assert log.last_index(("journal", "score")) < log.index(("node", "score"))
    assert log.index(("journal", "risk_decision")) < log.index(("node", "risk_gate"))
    assert log.index(("journal", "signal")) < log.index(("node", "decide"))
    signal_payload = journal.records[-1][1]
    assert signal_payload["signal"]["explanation"] == run.outcome.signal.explanation  # type: ignore[union-attr]


@pytest.mark.parametrize(("rounds", "debaters"), [(0, 0), (2, 4)])
def test_debate_rounds_are_configurable(rounds: int, debaters: int) -> None:
    router = ScriptedRouter()
    graph = build_analysis_graph(services(router, debate_rounds=rounds))
    outcome = analyze(graph, strong_scan(), AS_OF, "rounds")
    assert router.calls("bull") + router.calls("bear") == debaters
    assert len(outcome.opinions) == 3 + debaters
    assert outcome.status == "signal"


def test_an_analysis_interrupted_before_score_resumes_on_the_same_thread_to_the_same_outcome() -> (
    None
):
    reference = analyze(build_analysis_graph(services()), strong_scan(), AS_OF, "reference")
    router, journal = ScriptedRouter(), RecordingJournal()
    graph = build_analysis_graph(
        services(router, journal), memory_checkpointer(), interrupt_before=["score"]
    )
    run = stream_analysis(graph, strong_scan(), AS_OF, "thread-1")
    last = list(run)[-1]
    assert last.node == "interrupt"
    assert last.events[0].detail.startswith("paused before score;")
    paused = run.outcome
    assert paused.status == "pending"
    assert paused.pending == ("score",)
    assert paused.score is None
    assert len(paused.opinions) == 5
    assert journal.kinds().count("score") == 1  # only the prefilter's so far
    resumed = analyze(graph, strong_scan(), AS_OF, "thread-1")
    assert _comparable(resumed) == _comparable(reference)
    assert all(router.calls(node) == 1 for node in LLM_NODES)  # nothing asked twice
    assert [e.node for e in resumed.trace][-3:] == ["score", "risk_gate", "decide"]


def test_an_analysis_that_crashed_resumes_from_its_last_checkpoint() -> None:
    router = ScriptedRouter(fail_once={"bear": RuntimeError("worker killed")})
    journal = RecordingJournal()
    graph = build_analysis_graph(services(router, journal), memory_checkpointer())
    with pytest.raises(RuntimeError, match="worker killed"):
        analyze(graph, strong_scan(), AS_OF, "crash")
    assert journal.kinds().count("opinion") == 4  # the analysts and bull, in bear's step
    outcome = analyze(graph, strong_scan(), AS_OF, "crash")
    assert outcome.status == "signal"
    assert [router.calls(n) for n in LLM_NODES[:3]] == [1, 1, 1]  # analysts not re-asked
    assert router.calls("bear") == 2
    # bull ran in bear's superstep: asked again only when the crash cut it short before
    # LangGraph saved its write; the outcome holds each side once either way
    bull = router.calls("bull")
    assert bull in (1, 2)
    assert [o.agent for o in outcome.opinions].count("bull") == 1
    assert journal.kinds().count("opinion") == 4 + bull


def test_a_finished_thread_is_read_back_not_run_again() -> None:
    router, journal = ScriptedRouter(), RecordingJournal()
    graph = build_analysis_graph(services(router, journal), memory_checkpointer())
    first = analyze(graph, strong_scan(), AS_OF, "done")
    entries = len(journal.records)
    again = stream_analysis(graph, strong_scan(), AS_OF, "done")
    assert list(again) == []
    assert again.outcome == first
    assert len(journal.records) == entries
    assert len(router.requests) == 5


def test_a_thread_refuses_another_scan() -> None:
    graph = build_analysis_graph(services(), memory_checkpointer())
    analyze(graph, strong_scan(), AS_OF, "one")
    with pytest.raises(ValueError, match="thread_id: this thread holds"):
        analyze(graph, flat_scan(), AS_OF, "one")


def test_build_refuses_an_unknown_interrupt_node() -> None:
    with pytest.raises(ValueError, match="interrupt_before: unknown node"):
        build_analysis_graph(services(), memory_checkpointer(), interrupt_before=["review"])


def test_outcome_is_only_available_after_the_run() -> None:
    run = stream_analysis(build_analysis_graph(services()), strong_scan(), AS_OF, "early")
    with pytest.raises(RuntimeError, match="iterate the run"):
        _ = run.outcome
