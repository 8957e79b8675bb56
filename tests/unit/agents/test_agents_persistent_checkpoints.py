"""Persistent checkpointers: an interrupted analysis resumes in a new graph (a new process)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from langgraph.checkpoint.base import BaseCheckpointSaver
from tests.unit.agents.agents_kit import (
    AS_OF,
    RecordingJournal,
    ScriptedRouter,
    services,
    strong_scan,
)

from quorum.agents import (
    analyze,
    build_analysis_graph,
    sqlite_checkpointer,
    stream_analysis,
)

LLM_NODES = ("technical", "patterns", "regime", "bull", "bear")


def _resume_in_a_fresh_graph(make_saver: Callable[[], BaseCheckpointSaver[str]]) -> None:
    reference = analyze(build_analysis_graph(services()), strong_scan(), AS_OF, "reference")
    first_router = ScriptedRouter()
    paused_graph = build_analysis_graph(
        services(first_router, RecordingJournal()), make_saver(), interrupt_before=["score"]
    )
    run = stream_analysis(paused_graph, strong_scan(), AS_OF, "persisted")
    list(run)
    assert run.outcome.status == "pending"
    # A new saver on the same storage and a new graph: what a restarted worker has.
    second_router = ScriptedRouter()
    resumed = analyze(
        build_analysis_graph(services(second_router, RecordingJournal()), make_saver()),
        strong_scan(),
        AS_OF,
        "persisted",
    )
    assert resumed.status == reference.status
    assert resumed.score == reference.score
    assert resumed.signal == reference.signal
    assert all(first_router.calls(node) == 1 for node in LLM_NODES)
    assert all(second_router.calls(node) == 0 for node in LLM_NODES)  # nothing asked again


def test_sqlite_checkpoints_let_a_new_process_resume_without_asking_the_llm_again(
    tmp_path: Path,
) -> None:
    _resume_in_a_fresh_graph(lambda: sqlite_checkpointer(tmp_path / "checkpoints.sqlite"))
