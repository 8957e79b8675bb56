"""The analysis graph (LangGraph): build it, run it, stream its node events.

::

    START → context → prefilter ─┬─(score too weak)─────────────────────────────────┐
                                 └─► technical ┐       ┌─► bull ┐                   │
                                     patterns  ├(join)─┤        ├(join)─► debate ⟲  │
                                     regime    ┘       └─► bear ┘           │       │
                                                              score ◄───────┘       │
                                                                ├─(score too weak)──┤
                                                                └─► risk_gate ─► decide ◄┘

The analysts run in parallel (one superstep, appending to ``opinions`` through its
``operator.add`` reducer); bull and bear wait for all three and then argue in parallel too
(each round one superstep: they are independent, each sees the analysts and the previous
round), joined by ``debate``, which loops back to both for another round. LLM nodes carry a
``RetryPolicy`` (``Retryable``, ``TimeoutError`` and ``ConnectionError`` are retried). With
a checkpointer every superstep is saved, written while the next one runs
(``durability="async"``; an interrupt or a failure is saved before the run returns, a
killed process loses at most the last superstep), so an analysis that was interrupted — by
``interrupt_before``, a failure or a dead worker — resumes where it stopped when it is run
again with the same ``thread_id``; a finished one is not run twice.

A pipeline compiles the graph once per process (:func:`compile_analysis_graph`, ~10 ms a
compile) and hands each analysis its own :class:`AnalysisServices` (router, journal, risk
gate over that moment's account) as LangGraph's runtime context (``services=`` on the run);
:func:`build_analysis_graph` compiles a graph bound to one set of services (one-off callers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import RetryPolicy

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
from quorum.agents.services import AnalysisServices
from quorum.agents.settings import ANALYSTS, DEBATERS, AgentSettings, NodeRetry
from quorum.agents.state import AnalysisOutcome, AnalysisState, TraceEvent, outcome_of
from quorum.domain import ScanResult
from quorum.errors import Retryable

AnalysisGraph = CompiledStateGraph[AnalysisState, AnalysisServices, AnalysisState, AnalysisState]


class Node(Protocol):
    """A node as LangGraph calls it: the state (and the run's runtime) in, a partial update
    out."""

    def __call__(
        self, state: AnalysisState, runtime: Runtime[AnalysisServices]
    ) -> dict[str, Any]: ...


NODES: tuple[str, ...] = (
    "context",
    "prefilter",
    *ANALYSTS,
    *DEBATERS,
    "debate",
    "score",
    "risk_gate",
    "decide",
)
"""Every node name the graph may have (``bull``, ``bear`` and ``debate`` only with
``debate_rounds`` > 0)."""


def is_retryable(exc: Exception) -> bool:
    """What the LLM nodes' retry policy retries: transient errors, never a bug."""
    return isinstance(exc, (Retryable, TimeoutError, ConnectionError))


def retry_policy(settings: NodeRetry) -> RetryPolicy:
    return RetryPolicy(
        initial_interval=settings.initial_interval_s,
        backoff_factor=settings.backoff_factor,
        max_interval=settings.max_interval_s,
        max_attempts=settings.max_attempts,
        jitter=settings.jitter,
        retry_on=is_retryable,
    )


def _services(
    bound: AnalysisServices | None, runtime: Runtime[AnalysisServices]
) -> AnalysisServices:
    """The services a node runs with: the graph's own, else the run's context."""
    services = bound if bound is not None else runtime.context
    if services is None:
        raise ValueError(
            "services: this graph was compiled without services; pass services= to the run"
        )
    return services


def _bind(
    function: Callable[[AnalysisState, AnalysisServices], dict[str, Any]],
    bound: AnalysisServices | None,
) -> Node:
    def node(state: AnalysisState, runtime: Runtime[AnalysisServices]) -> dict[str, Any]:
        return function(state, _services(bound, runtime))

    return node


def _analyst(agent: str, bound: AnalysisServices | None) -> Node:
    def node(state: AnalysisState, runtime: Runtime[AnalysisServices]) -> dict[str, Any]:
        return analyst_node(state, _services(bound, runtime), agent)

    return node


def _debater(side: str, bound: AnalysisServices | None) -> Node:
    def node(state: AnalysisState, runtime: Runtime[AnalysisServices]) -> dict[str, Any]:
        return debater_node(state, _services(bound, runtime), side)

    return node


def build_analysis_graph(
    services: AnalysisServices,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    *,
    interrupt_before: Sequence[str] = (),
) -> AnalysisGraph:
    """The graph compiled over ``services`` (one-off callers: ``quorum analyze``, tests);
    ``interrupt_before`` pauses before the named nodes (review)."""
    return _compile(services.settings, services, checkpointer, interrupt_before)


def compile_analysis_graph(
    settings: AgentSettings,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    *,
    interrupt_before: Sequence[str] = (),
) -> AnalysisGraph:
    """The graph compiled once for a process (its shape: ``settings.debate_rounds`` and the
    retry policy); each run hands its own services as the run's context (``services=``)."""
    return _compile(settings, None, checkpointer, interrupt_before)


def _compile(
    settings: AgentSettings,
    services: AnalysisServices | None,
    checkpointer: BaseCheckpointSaver[Any] | None,
    interrupt_before: Sequence[str],
) -> AnalysisGraph:
    unknown = sorted(set(interrupt_before) - set(NODES))
    if unknown:
        raise ValueError(f"interrupt_before: unknown node(s) {', '.join(unknown)}")
    rounds = settings.debate_rounds
    retry = retry_policy(settings.retry)
    builder = StateGraph(AnalysisState, context_schema=AnalysisServices)
    builder.add_node("context", _bind(context_node, services))
    builder.add_node("prefilter", _bind(prefilter_node, services))
    for agent in ANALYSTS:
        builder.add_node(agent, _analyst(agent, services), retry_policy=retry)
    if rounds:
        for side in DEBATERS:
            builder.add_node(side, _debater(side, services), retry_policy=retry)
        builder.add_node("debate", _bind(debate_node, services))
    builder.add_node("score", _bind(score_node, services))
    builder.add_node("risk_gate", _bind(risk_gate_node, services))
    builder.add_node("decide", _bind(decide_node, services))

    builder.add_edge(START, "context")
    builder.add_edge("context", "prefilter")
    llm_opinions = settings.llm_opinions

    def fan_out(state: AnalysisState) -> list[str] | str:
        return after_prefilter(state, llm_opinions)

    builder.add_conditional_edges("prefilter", fan_out, [*ANALYSTS, "score", "decide"])
    if rounds:
        for side in DEBATERS:
            builder.add_edge(list(ANALYSTS), side)
        builder.add_edge(list(DEBATERS), "debate")

        def next_round(state: AnalysisState) -> list[str] | str:
            return after_debate(state, rounds)

        builder.add_conditional_edges("debate", next_round, [*DEBATERS, "score"])
    else:
        builder.add_edge(list(ANALYSTS), "score")
    builder.add_conditional_edges("score", after_score, ["risk_gate", "decide"])
    builder.add_edge("risk_gate", "decide")
    builder.add_edge("decide", END)
    pause = [name for name in interrupt_before if rounds or name not in ("debate", *DEBATERS)]
    return builder.compile(
        checkpointer=checkpointer, interrupt_before=pause or None, name="quorum-analysis"
    )


@dataclass(frozen=True, slots=True)
class NodeEvent:
    """What one node reported (its trace events), as the graph streams it."""

    node: str
    events: tuple[TraceEvent, ...]


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


def _state(values: Any) -> AnalysisState:
    return values if isinstance(values, AnalysisState) else AnalysisState.model_validate(values)


class AnalysisRun:
    """One analysis run: iterate it for the node events; then read :attr:`outcome`.

    With a checkpointer, a thread that was interrupted resumes where it stopped and a
    thread that already finished is not run again (its outcome is read back).
    """

    def __init__(
        self,
        graph: AnalysisGraph,
        scan: ScanResult,
        as_of: datetime,
        thread_id: str,
        services: AnalysisServices | None = None,
    ) -> None:
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            raise ValueError(f"as_of: must be timezone-aware (got {as_of.isoformat()})")
        if as_of < scan.as_of:
            raise ValueError(
                f"as_of: {as_of.isoformat()} is before the scan's as_of {scan.as_of.isoformat()}"
            )
        self._graph = graph
        self._scan = scan
        self._as_of = as_of
        self._config = _config(thread_id)
        self._services = services
        self._outcome: AnalysisOutcome | None = None

    @property
    def checkpointed(self) -> bool:
        return isinstance(self._graph.checkpointer, BaseCheckpointSaver)

    @property
    def outcome(self) -> AnalysisOutcome:
        if self._outcome is None:
            raise RuntimeError("outcome: iterate the run to the end first")
        return self._outcome

    def _input(self) -> AnalysisState | None:
        """A fresh state; ``None`` (resume) when the thread has a pending checkpoint."""
        if not self.checkpointed:
            return AnalysisState(scan=self._scan, as_of=self._as_of)
        saved = self._graph.get_state(self._config)
        if not saved.values:
            return AnalysisState(scan=self._scan, as_of=self._as_of)
        state = _state(saved.values)
        if state.scan != self._scan or state.as_of != self._as_of:
            raise ValueError(
                "thread_id: this thread holds the analysis of "
                f"{state.scan.symbol} at {state.as_of.isoformat()}; use a new thread id"
            )
        return None

    def _paused(self) -> NodeEvent:
        waiting = ", ".join(self._graph.get_state(self._config).next)
        detail = f"paused before {waiting}; run again with the same thread id to resume"
        return NodeEvent(
            "interrupt", (TraceEvent(node="interrupt", status="paused", detail=detail),)
        )

    def __iter__(self) -> Iterator[NodeEvent]:
        initial = self._input()
        last: AnalysisState | None = initial
        finished = initial is None and not self._graph.get_state(self._config).next
        if not finished:
            stream = self._graph.stream(
                initial,
                self._config,
                stream_mode=["updates", "values"],
                durability="async" if self.checkpointed else None,
                context=self._services,
            )
            for mode, chunk in stream:
                if mode == "values":
                    last = _state(chunk)
                    continue
                if not isinstance(chunk, dict):
                    continue
                for node, update in chunk.items():
                    yield self._paused() if node == "__interrupt__" else _node_event(node, update)
        pending: tuple[str, ...] = ()
        if self.checkpointed:
            saved = self._graph.get_state(self._config)
            last = _state(saved.values)
            pending = tuple(saved.next)
        assert last is not None
        self._outcome = outcome_of(last, pending)


def _node_event(node: str, update: Any) -> NodeEvent:
    trace = update.get("trace", ()) if isinstance(update, dict) else ()
    return NodeEvent(node, tuple(TraceEvent.model_validate(t) for t in trace))


def stream_analysis(
    graph: AnalysisGraph,
    scan: ScanResult,
    as_of: datetime,
    thread_id: str,
    services: AnalysisServices | None = None,
) -> AnalysisRun:
    """The run of ``scan`` at ``as_of``: iterate it for node events, then read ``.outcome``
    (``services``: this run's, for a graph from :func:`compile_analysis_graph`)."""
    return AnalysisRun(graph, scan, as_of, thread_id, services)


def analyze(
    graph: AnalysisGraph,
    scan: ScanResult,
    as_of: datetime,
    thread_id: str,
    services: AnalysisServices | None = None,
) -> AnalysisOutcome:
    """Run (or resume) the analysis of ``scan`` at ``as_of`` to its outcome (``services``:
    this run's, for a graph from :func:`compile_analysis_graph`)."""
    run = AnalysisRun(graph, scan, as_of, thread_id, services)
    for _ in run:
        pass
    return run.outcome
