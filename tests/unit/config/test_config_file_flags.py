"""FileFlagStore: reads, flips, env overrides, atomic writes, audit, refusals write nothing."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from tests.unit.config.config_fakes import START, GuardSpy, ListRecorder

from quorum.clock import ReplayClock
from quorum.config import FileFlagStore, FlagChange, FlagStore, JsonlFlagAuditLog
from quorum.errors import ConfigError


def make_store(
    tmp_path: Path,
    clock: ReplayClock,
    guard: GuardSpy,
    recorder: ListRecorder | JsonlFlagAuditLog,
    env: dict[str, str] | None = None,
    defaults: dict[str, bool | str] | None = None,
) -> FileFlagStore:
    return FileFlagStore(
        tmp_path / "var" / "flags.json",
        clock=clock,
        guard=guard,
        recorder=recorder,
        env=env or {},
        defaults=defaults,
    )


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and not path.name.endswith(".lock")
    }


def test_store_satisfies_the_protocol(tmp_path: Path, clock: ReplayClock) -> None:
    store = make_store(tmp_path, clock, GuardSpy(), ListRecorder())

    assert isinstance(store, FlagStore)


def test_fresh_store_reports_defaults_and_version_zero(
    tmp_path: Path, clock: ReplayClock, guard: GuardSpy, recorder: ListRecorder
) -> None:
    store = make_store(tmp_path, clock, guard, recorder, defaults={"trading.live_confirm": True})

    assert store.version() == 0
    assert store.get("kill_switch") is False
    assert store.get("trading.live_confirm") is True
    assert {state.source for state in store.states()} == {"default"}


def test_set_writes_value_bumps_version_and_returns_the_change(
    tmp_path: Path, clock: ReplayClock, guard: GuardSpy, recorder: ListRecorder
) -> None:
    store = make_store(tmp_path, clock, guard, recorder)

    change = store.set("kill_switch", True, actor="ops:alice", reason="exchange incident")

    assert change == FlagChange(
        name="kill_switch",
        old=False,
        new=True,
        actor="ops:alice",
        reason="exchange incident",
        at=START,
        backend="file",
        version=1,
    )
    assert store.get("kill_switch") is True
    assert store.version() == 1
    assert recorder.changes == [change]
    state = next(s for s in store.states() if s.name == "kill_switch")
    assert state.source == f"file {store.path}"


def test_a_second_store_on_the_same_file_sees_the_flip(
    tmp_path: Path, clock: ReplayClock, guard: GuardSpy, recorder: ListRecorder
) -> None:
    writer = make_store(tmp_path, clock, guard, recorder)
    reader = make_store(tmp_path, clock, guard, recorder)

    writer.set("analysis.enabled", False, actor="a", reason="r")

    assert reader.get("analysis.enabled") is False
    assert reader.version() == 1


def test_change_time_comes_from_the_injected_clock(
    tmp_path: Path, clock: ReplayClock, guard: GuardSpy, recorder: ListRecorder
) -> None:
    store = make_store(tmp_path, clock, guard, recorder)
    clock.advance(timedelta(hours=3))

    assert store.set("kill_switch", True, "a", "r").at == START + timedelta(hours=3)


def test_env_override_takes_precedence_and_is_reported_as_source(
    tmp_path: Path, clock: ReplayClock, guard: GuardSpy, recorder: ListRecorder
) -> None:
    make_store(tmp_path, clock, guard, recorder).set("llm.allow_paid", True, "a", "r")
    store = make_store(
        tmp_path, clock, guard, recorder, env={"QUORUM_FLAG_LLM__ALLOW_PAID": "false"}
    )

    assert store.get("llm.allow_paid") is False
    state = next(s for s in store.states() if s.name == "llm.allow_paid")
    assert state.source == "env QUORUM_FLAG_LLM__ALLOW_PAID"


def test_flip_of_an_env_pinned_flag_is_refused_and_writes_nothing(
    tmp_path: Path, clock: ReplayClock, guard: GuardSpy, recorder: ListRecorder
) -> None:
    store = make_store(tmp_path, clock, guard, recorder, env={"QUORUM_FLAG_KILL_SWITCH": "0"})

    with pytest.raises(ConfigError, match="pinned by environment variable QUORUM_FLAG_KILL_SWITCH"):
        store.set("kill_switch", True, "a", "r")

    assert not store.path.exists()
    assert recorder.changes == []


def test_invalid_env_override_is_refused_naming_the_variable(
    tmp_path: Path, clock: ReplayClock, guard: GuardSpy, recorder: ListRecorder
) -> None:
    with pytest.raises(ConfigError, match=r"\[env QUORUM_FLAG_TRADING__MODE\]"):
        make_store(tmp_path, clock, guard, recorder, env={"QUORUM_FLAG_TRADING__MODE": "lve"})
    with pytest.raises(ConfigError, match="QUORUM_FLAG_KILLSWITCH does not name a flag"):
        make_store(tmp_path, clock, guard, recorder, env={"QUORUM_FLAG_KILLSWITCH": "1"})


@pytest.mark.parametrize(
    ("name", "value", "actor", "reason", "expected"),
    [
        ("no_such_flag", True, "a", "r", "unknown flag 'no_such_flag'"),
        ("kill_switch", "true", "a", "r", "expected a boolean"),
        ("trading.mode", "lve", "a", "r", "expected one of 'paper', 'live'"),
        ("kill_switch", True, " ", "r", "actor must not be empty"),
        ("kill_switch", True, "a", "", "reason must not be empty"),
    ],
)
def test_refused_flip_writes_nothing(
    tmp_path: Path,
    clock: ReplayClock,
    guard: GuardSpy,
    name: str,
    value: bool | str,
    actor: str,
    reason: str,
    expected: str,
) -> None:
    audit = JsonlFlagAuditLog(tmp_path / "var" / "audit.jsonl")
    store = make_store(tmp_path, clock, guard, audit)
    store.set("analysis.enabled", False, "a", "r")
    before = snapshot(tmp_path)

    with pytest.raises(ConfigError, match=expected):
        store.set(name, value, actor, reason)

    assert snapshot(tmp_path) == before
    assert store.version() == 1


def test_flip_to_live_goes_through_the_guard_with_the_prospective_values(
    tmp_path: Path, clock: ReplayClock, guard: GuardSpy, recorder: ListRecorder
) -> None:
    store = make_store(tmp_path, clock, guard, recorder)
    store.set("trading.live_confirm", True, "a", "r")
    store.set("kill_switch", True, "a", "r")
    assert guard.calls == []

    store.set("trading.mode", "live", "a", "go live")

    assert len(guard.calls) == 1
    assert guard.calls[0]["trading.mode"] == "live"
    assert guard.calls[0]["trading.live_confirm"] is True
    assert store.get("trading.mode") == "live"


def test_flip_to_live_refused_by_the_guard_writes_nothing(
    tmp_path: Path, clock: ReplayClock, recorder: ListRecorder
) -> None:
    audit = JsonlFlagAuditLog(tmp_path / "var" / "audit.jsonl")
    store = make_store(tmp_path, clock, GuardSpy(refuse=True), audit)
    store.set("kill_switch", True, "a", "r")
    before = snapshot(tmp_path)

    with pytest.raises(ConfigError, match="live trading refused"):
        store.set("trading.mode", "live", "a", "r")

    assert snapshot(tmp_path) == before
    assert store.get("trading.mode") == "paper"


def test_flip_back_to_paper_does_not_need_the_guard(
    tmp_path: Path, clock: ReplayClock, recorder: ListRecorder
) -> None:
    store = make_store(
        tmp_path, clock, GuardSpy(refuse=True), recorder, defaults={"trading.mode": "live"}
    )

    assert store.set("trading.mode", "paper", "a", "r").old == "live"


def test_every_flip_appends_one_audit_line(
    tmp_path: Path, clock: ReplayClock, guard: GuardSpy
) -> None:
    audit = JsonlFlagAuditLog(tmp_path / "var" / "audit.jsonl")
    store = make_store(tmp_path, clock, guard, audit)

    first = store.set("kill_switch", True, "alice", "incident")
    second = store.set("kill_switch", False, "bob", "resolved")

    lines = audit.path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["actor"] for line in lines] == ["alice", "bob"]
    assert audit.entries() == [first, second]


def test_recorder_failure_reverts_the_flip(
    tmp_path: Path, clock: ReplayClock, guard: GuardSpy, recorder: ListRecorder
) -> None:
    store = make_store(tmp_path, clock, guard, recorder)
    recorder.fail = True

    with pytest.raises(ConfigError, match=r"could not be recorded .*OSError.*reverted"):
        store.set("kill_switch", True, "a", "r")

    assert store.get("kill_switch") is False
    assert store.version() == 2


def test_failed_revert_is_reported_honestly(
    tmp_path: Path,
    clock: ReplayClock,
    guard: GuardSpy,
    recorder: ListRecorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = make_store(tmp_path, clock, guard, recorder)
    recorder.fail = True
    real_replace = os.replace
    calls: list[str] = []

    def replace_once(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) > 1:
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_once)
    with pytest.raises(ConfigError) as caught:
        store.set("kill_switch", True, "a", "r")

    assert "reverting it failed too" in str(caught.value)
    assert "the flag holds True unrecorded" in str(caught.value)
    assert store.get("kill_switch") is True


def test_failed_replace_leaves_the_old_file_and_no_temporary(
    tmp_path: Path,
    clock: ReplayClock,
    guard: GuardSpy,
    recorder: ListRecorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = make_store(tmp_path, clock, guard, recorder)
    store.set("kill_switch", True, "a", "r")
    before = snapshot(tmp_path)

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ConfigError, match=r"cannot be written \(No space left on device"):
        store.set("analysis.enabled", False, "a", "r")

    assert snapshot(tmp_path) == before
    assert recorder.changes[-1].name == "kill_switch"


def test_file_is_replaced_not_rewritten_in_place(
    tmp_path: Path, clock: ReplayClock, guard: GuardSpy, recorder: ListRecorder
) -> None:
    store = make_store(tmp_path, clock, guard, recorder)
    store.set("kill_switch", True, "a", "r")
    inode = store.path.stat().st_ino

    store.set("kill_switch", False, "a", "r")

    assert store.path.stat().st_ino != inode
    assert json.loads(store.path.read_text()) == {"version": 2, "values": {"kill_switch": False}}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON at line 1"),
        ('{"values": {}}', "integer 'version'"),
        ('{"version": 1, "values": {"kill_switch": "yes"}}', "flag 'kill_switch': expected"),
        ('{"version": 1, "values": {"mystery": true}}', "unknown flag 'mystery'"),
    ],
)
def test_corrupt_flag_file_is_refused_naming_the_file(
    tmp_path: Path,
    clock: ReplayClock,
    guard: GuardSpy,
    recorder: ListRecorder,
    content: str,
    expected: str,
) -> None:
    store = make_store(tmp_path, clock, guard, recorder)
    store.path.parent.mkdir(parents=True)
    store.path.write_text(content, encoding="utf-8")

    with pytest.raises(ConfigError, match=expected):
        store.all()
