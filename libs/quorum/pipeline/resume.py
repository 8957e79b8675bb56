"""Journaling a resumed analysis: which earlier analysis it continues.

The analysis graph is checkpointed per thread (the analyze key: run id, symbol,
timeframe, bar close) in the run's own database. When an analyze task finds its thread
already holding state (a worker died mid-graph, or after the graph but before the
commit, and the task was redelivered), the graph continues from there without asking
the models again. That resume is journaled (kind ``analysis``, event ``resumed``)
before the graph runs on, naming the earlier analysis: its thread id and checkpoint id,
the seq of the first entry the earlier attempt journaled for this symbol and bar close
in this run (``resumes_seq``; None when it died before journaling anything), the nodes
still to run (``pending``; empty: it had finished and is only read back).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from quorum.domain import JournalEntry, JournalKind, Timeframe, format_time, parse_time
from quorum.pipeline.deps import PipelineDeps
from quorum.store import session_scope

_GRAPH_KINDS = (JournalKind.SCORE, JournalKind.OPINION, JournalKind.RISK_DECISION)


def _subject(entry: JournalEntry) -> tuple[str, str] | None:
    """(symbol, as_of) of a graph entry: a score, an opinion or a risk decision."""
    for field in ("score", "opinion", "signal"):
        item = entry.payload.get(field)
        if isinstance(item, dict) and "symbol" in item and "as_of" in item:
            try:
                return str(item["symbol"]), format_time(parse_time(str(item["as_of"])))
            except ValueError:
                return None
    return None


def first_attempt_seq(deps: PipelineDeps, symbol: str, at: datetime) -> int | None:
    """The first entry this run's graph journaled for ``symbol`` at ``at``."""
    wanted = (symbol, format_time(at))
    for entry in deps.journal.read(kinds=_GRAPH_KINDS, run_id=deps.run_id):
        if _subject(entry) == wanted:
            return entry.seq
    return None


def journal_resume(
    deps: PipelineDeps, graph: Any, key: str, symbol: str, timeframe: Timeframe, at: datetime
) -> int | None:
    """Journal the resume of thread ``key`` when it holds state; its seq, else None."""
    saved = graph.get_state({"configurable": {"thread_id": key}})
    if not saved.values:
        return None
    configurable = (saved.config or {}).get("configurable", {})
    payload = {
        "event": "resumed",
        "thread_id": key,
        "checkpoint_id": configurable.get("checkpoint_id"),
        "symbol": symbol,
        "timeframe": timeframe.value,
        "as_of": format_time(at),
        "pending": list(saved.next),
        "finished": not saved.next,
        "resumes_seq": first_attempt_seq(deps, symbol, at),
    }
    with session_scope(deps.engine) as session:
        entry = deps.journal.append(
            session, JournalKind.ANALYSIS, payload, actor=deps.settings.actor, run_id=deps.run_id
        )
    return entry.seq
