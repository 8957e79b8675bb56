"""JsonlFlagAuditLog: one fsynced JSON line per change; corrupt lines are named."""

from __future__ import annotations

import json
import os
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from tests.unit.config.config_fakes import START

from quorum.config import FlagChange, FlagChangeRecorder, JsonlFlagAuditLog
from quorum.errors import ConfigError


def change(version: int, new: bool) -> FlagChange:
    return FlagChange(
        name="kill_switch",
        old=not new,
        new=new,
        actor="ops",
        reason="drill",
        at=START,
        backend="file",
        version=version,
    )


def test_audit_log_is_a_flag_change_recorder(tmp_path: Path) -> None:
    assert isinstance(JsonlFlagAuditLog(tmp_path / "a.jsonl"), FlagChangeRecorder)


def test_each_change_is_one_json_line_in_order_and_parents_are_created(tmp_path: Path) -> None:
    log = JsonlFlagAuditLog(tmp_path / "nested" / "dir" / "audit.jsonl")

    log.record(change(1, True))
    log.record(change(2, False))

    lines = log.path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["version"] for line in lines] == [1, 2]
    assert json.loads(lines[0]) == {
        "name": "kill_switch",
        "old": False,
        "new": True,
        "actor": "ops",
        "reason": "drill",
        "at": "2025-03-01T12:00:00Z",
        "backend": "file",
        "version": 1,
    }
    assert log.entries() == [change(1, True), change(2, False)]


def test_each_record_is_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    log = JsonlFlagAuditLog(tmp_path / "audit.jsonl")

    log.record(change(1, True))
    log.record(change(2, False))

    assert len(synced) == 2


def test_missing_log_has_no_entries(tmp_path: Path) -> None:
    assert JsonlFlagAuditLog(tmp_path / "none.jsonl").entries() == []


def test_corrupt_line_is_refused_naming_its_number(tmp_path: Path) -> None:
    log = JsonlFlagAuditLog(tmp_path / "audit.jsonl")
    log.record(change(1, True))
    with log.path.open("a", encoding="utf-8") as handle:
        handle.write('{"name": "kill_switch"}\n')

    with pytest.raises(ConfigError, match="line 2 is not a flag change"):
        log.entries()


def test_change_times_are_normalised_to_utc_and_naive_times_refused() -> None:
    data = change(1, True).model_dump()
    local = START.astimezone(timezone(timedelta(hours=5)))

    assert FlagChange.model_validate({**data, "at": local}).at == START
    assert FlagChange.model_validate({**data, "at": local}).at.utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="timezone"):
        FlagChange.model_validate({**data, "at": START.replace(tzinfo=None)})
