"""A redelivered analyze task that resumes its checkpointed graph journals the resume,
naming the earlier analysis (issue #19 item 1).

Before: a resumed thread continued silently, so a journal could show a decision whose
first half (the opinions asked before the crash) belonged to an attempt nothing named.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.unit.pipeline.kit import Kit, make_kit

from quorum.domain import JournalEntry, JournalKind, Timeframe, format_time
from quorum.journal import explain_orders
from quorum.pipeline import analyze_task


class WorkerDied(RuntimeError):
    pass


@pytest.fixture
def kit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Kit]:
    monkeypatch.chdir(tmp_path)
    built = make_kit()
    yield built
    built.close()


def _die_once_at(kit: Kit, node: str) -> list[str]:
    """Make the model call of ``node`` kill the worker once; returns the nodes asked."""
    router = kit.tasks.deps.router
    real = router.complete
    asked: list[str] = []

    def complete(request: Any) -> Any:
        asked.append(request.node)
        if request.node == node and asked.count(node) == 1:
            raise WorkerDied(f"worker killed during {node}")
        return real(request)

    router.complete = complete  # type: ignore[method-assign]
    return asked


def _entries(kit: Kit, kind: JournalKind) -> list[JournalEntry]:
    return kit.runtime.journal.read(kinds=[kind])


def test_a_graph_resumed_after_a_crash_mid_debate_is_journaled_as_a_resume(kit: Kit) -> None:
    asked = _die_once_at(kit, "bull")
    as_of = format_time(kit.clock.now().replace(second=0))
    with pytest.raises(WorkerDied):
        kit.tasks.analyze("BTC/USDT", as_of, "15m")
    first_attempt = kit.runtime.journal.read(kinds=[JournalKind.SCORE])[0].seq

    result = kit.tasks.analyze("BTC/USDT", as_of, "15m")  # the redelivered task

    (resume,) = _entries(kit, JournalKind.ANALYSIS)
    assert resume.run_id == kit.tasks.deps.run_id
    assert resume.payload["event"] == "resumed"
    run_id = kit.tasks.deps.run_id
    key = analyze_task.analyze_key(run_id, "BTC/USDT", Timeframe.parse("15m"), as_of)
    assert resume.payload["thread_id"] == key
    assert resume.payload["resumes_seq"] == first_attempt
    # bull died; bear, its parallel sibling, is pending too unless its write was saved
    assert "bull" in resume.payload["pending"]
    assert set(resume.payload["pending"]) <= {"bull", "bear"}
    assert resume.payload["finished"] is False
    assert resume.payload["checkpoint_id"]
    analysts = [n for n in asked if n in {"technical", "patterns", "regime"}]
    assert sorted(analysts) == ["patterns", "regime", "technical"], "analysts asked once"
    later = [e.seq for e in kit.runtime.journal.read() if e.seq > resume.seq]
    assert later, "the rest of the analysis is journaled after the resume"
    assert result["status"] in {"approved", "rejected", "no_trade", "refused"}
    assert explain_orders(kit.runtime.engine).ok


def test_a_finished_graph_read_back_after_a_crash_before_the_commit_is_named(
    kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = analyze_task._commit
    calls: list[int] = []

    def commit(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise WorkerDied("worker killed before the commit")
        return real(*args)

    monkeypatch.setattr(analyze_task, "_commit", commit)
    as_of = format_time(kit.clock.now().replace(second=0))
    with pytest.raises(WorkerDied):
        kit.tasks.analyze("BTC/USDT", as_of, "15m")
    assert _entries(kit, JournalKind.ANALYSIS) == [], "a first attempt is no resume"
    opinions = len(_entries(kit, JournalKind.OPINION))

    kit.tasks.analyze("BTC/USDT", as_of, "15m")

    (resume,) = _entries(kit, JournalKind.ANALYSIS)
    assert (resume.payload["pending"], resume.payload["finished"]) == ([], True)
    assert resume.payload["resumes_seq"] == _entries(kit, JournalKind.SCORE)[0].seq
    assert len(_entries(kit, JournalKind.OPINION)) == opinions, "no model asked again"
