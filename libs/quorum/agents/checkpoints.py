"""Checkpointing of the analysis graph: the serializer allowlist and the in-memory saver.

LangGraph stores the state's pydantic values by module and class name and rebuilds them on
load; types outside its allowlist are rebuilt with a warning today and refused under
``LANGGRAPH_STRICT_MSGPACK``. :func:`checkpoint_serde` allows exactly the types our state
holds, so a resumed analysis gets its typed values back in either mode. Give it to any
saver: :func:`memory_checkpointer` (tests, one process), :func:`sqlite_checkpointer` (the
default: an interrupted analysis resumes in a new process) or
:func:`postgres_checkpointer` (cluster mode: any worker resumes it). LangGraph's Redis
saver needs the Redis Stack search and JSON modules, which plain Redis lacks, so cluster
mode uses PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver

from quorum.agents.state import AnalysisState, DebateTurn, TraceEvent
from quorum.domain import (
    AgentOpinion,
    Bias,
    ConfluenceScore,
    Direction,
    IndicatorSnapshot,
    PatternFamily,
    PatternHit,
    Regime,
    RegimeKind,
    RiskDecision,
    RuleCheck,
    ScanResult,
    ScoreComponent,
    Signal,
    Timeframe,
    TimeframeScan,
    Verdict,
)

if TYPE_CHECKING:
    from langgraph.checkpoint.postgres import PostgresSaver

STATE_TYPES: tuple[type, ...] = (
    AnalysisState,
    DebateTurn,
    TraceEvent,
    AgentOpinion,
    Bias,
    ConfluenceScore,
    Direction,
    IndicatorSnapshot,
    PatternFamily,
    PatternHit,
    Regime,
    RegimeKind,
    RiskDecision,
    RuleCheck,
    ScanResult,
    ScoreComponent,
    Signal,
    Timeframe,
    TimeframeScan,
    Verdict,
)
"""Every class a checkpoint of :class:`AnalysisState` may contain."""


def checkpoint_serde() -> JsonPlusSerializer:
    """LangGraph's serializer, allowing exactly :data:`STATE_TYPES` beyond its safe set."""
    return JsonPlusSerializer(allowed_msgpack_modules=STATE_TYPES)


def memory_checkpointer() -> InMemorySaver:
    """An in-process saver: resume within one process (tests, the CLI)."""
    return InMemorySaver(serde=checkpoint_serde())


def sqlite_checkpointer(path: str | Path) -> SqliteSaver:
    """A saver in a SQLite file (created with its tables if missing).

    WAL with ``synchronous=NORMAL``: a commit is not fsynced (the WAL is, at each of its
    checkpoints), so a superstep costs no fsync. A process that dies loses nothing it
    committed; a power loss or OS crash may lose the last supersteps, which the analysis
    then asks again (its committed journal entries are named by the resume).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(str(target), check_same_thread=False)
    saver = SqliteSaver(connection, serde=checkpoint_serde())
    saver.setup()  # switches the file to WAL
    connection.execute("PRAGMA synchronous = NORMAL")
    return saver


def postgres_checkpointer(url: str) -> PostgresSaver:
    """A saver in PostgreSQL (``postgresql://…``; a SQLAlchemy ``+psycopg`` suffix is fine)."""
    import psycopg  # here: a SQLite deployment never loads the PostgreSQL driver (~0.2 s)
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row

    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    connection = psycopg.connect(dsn, autocommit=True, prepare_threshold=0, row_factory=dict_row)
    saver = PostgresSaver(connection, serde=checkpoint_serde())
    saver.setup()
    return saver
