"""Flag flips are chained into the journal through the config package's recorder port."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import Engine
from tests.unit.journal.journal_kit import make_journal

from quorum.clock import ReplayClock
from quorum.config import FileFlagStore, FlagChangeRecorder, FlagValue
from quorum.domain import JournalKind
from quorum.journal import JournalFlagRecorder


def allow_all(_flags: Mapping[str, FlagValue]) -> None:
    return None


def test_a_flag_flip_becomes_one_flag_change_entry(
    engine: Engine, clock: ReplayClock, tmp_path: Path
) -> None:
    journal = make_journal(engine, clock)
    recorder = JournalFlagRecorder(journal, engine)
    store = FileFlagStore(
        tmp_path / "flags.json", clock=clock, guard=allow_all, recorder=recorder, env={}
    )

    store.set("kill_switch", True, actor="ops@desk", reason="exchange outage")

    assert isinstance(recorder, FlagChangeRecorder)
    (entry,) = journal.read()
    assert (entry.kind, entry.actor) == (JournalKind.FLAG_CHANGE, "ops@desk")
    assert entry.payload == {
        "name": "kill_switch",
        "old": False,
        "new": True,
        "reason": "exchange outage",
        "at": "2025-03-01T12:00:00.000000Z",
        "backend": "file",
        "version": 1,
    }
    assert journal.verify().ok
