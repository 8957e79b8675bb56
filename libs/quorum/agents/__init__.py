"""The analyze stage as a LangGraph graph: scan → analysts → debate → score → risk → Signal.

``build_analysis_graph(services, checkpointer)`` compiles the graph over the services the
caller hands in (:class:`AnalysisServices`: the ``LLMRouter`` port, the journal recorder,
the risk gate, scoring settings and calibrator); ``compile_analysis_graph(settings,
checkpointer)`` compiles it once for a process, each run then passing its services
(``services=``); ``analyze(graph, scan, as_of, thread_id)``
runs or resumes one analysis to its :class:`AnalysisOutcome`; ``stream_analysis`` does the
same while yielding each node's events. The graph proposes a typed decision and journals
every opinion, score and decision; it never calls a broker.
"""

from quorum.agents.checkpoints import (
    STATE_TYPES,
    checkpoint_serde,
    memory_checkpointer,
    postgres_checkpointer,
    sqlite_checkpointer,
)
from quorum.agents.context import build_context, context_bytes, decision_timeframe
from quorum.agents.graph import (
    NODES,
    AnalysisGraph,
    AnalysisRun,
    NodeEvent,
    analyze,
    build_analysis_graph,
    compile_analysis_graph,
    is_retryable,
    retry_policy,
    stream_analysis,
)
from quorum.agents.journaling import ACTOR
from quorum.agents.levels import propose_signal
from quorum.agents.prompts import DEBATE_PROMPT_VERSION, debate_messages
from quorum.agents.services import (
    AnalysisServices,
    JournalRecorder,
    PortfolioRiskGate,
    RiskGate,
)
from quorum.agents.settings import ANALYSTS, DEBATERS, AgentSettings, NodeRetry
from quorum.agents.state import (
    AnalysisOutcome,
    AnalysisState,
    DebateTurn,
    TraceEvent,
    outcome_of,
)

__all__ = [
    "ACTOR",
    "ANALYSTS",
    "DEBATERS",
    "DEBATE_PROMPT_VERSION",
    "NODES",
    "STATE_TYPES",
    "AgentSettings",
    "AnalysisGraph",
    "AnalysisOutcome",
    "AnalysisRun",
    "AnalysisServices",
    "AnalysisState",
    "DebateTurn",
    "JournalRecorder",
    "NodeEvent",
    "NodeRetry",
    "PortfolioRiskGate",
    "RiskGate",
    "TraceEvent",
    "analyze",
    "build_analysis_graph",
    "build_context",
    "checkpoint_serde",
    "compile_analysis_graph",
    "context_bytes",
    "debate_messages",
    "decision_timeframe",
    "is_retryable",
    "memory_checkpointer",
    "outcome_of",
    "postgres_checkpointer",
    "propose_signal",
    "retry_policy",
    "sqlite_checkpointer",
    "stream_analysis",
]
