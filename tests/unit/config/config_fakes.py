"""Test doubles shared by the config tests (imported as ``tests.unit.config.config_fakes``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path

from quorum.clock import SystemClock
from quorum.config import FileFlagStore, FlagChange, FlagValue, JsonlFlagAuditLog
from quorum.errors import ConfigError

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class ListRecorder:
    """Keeps every recorded change; can be told to fail."""

    def __init__(self) -> None:
        self.changes: list[FlagChange] = []
        self.fail = False

    def record(self, change: FlagChange) -> None:
        if self.fail:
            raise OSError("disk full")
        self.changes.append(change)


class GuardSpy:
    """A live guard that remembers what it was asked and can refuse."""

    def __init__(self, refuse: bool = False) -> None:
        self.calls: list[dict[str, FlagValue]] = []
        self.refuse = refuse

    def __call__(self, flags: Mapping[str, FlagValue]) -> None:
        self.calls.append(dict(flags))
        if self.refuse:
            raise ConfigError("live trading refused (trading.mode=live): test guard")


def open_file_store(directory: Path) -> FileFlagStore:
    """A store on ``directory/flags.json`` auditing to ``directory/audit.jsonl``; no guard."""
    return FileFlagStore(
        directory / "flags.json",
        clock=SystemClock(),
        guard=lambda flags: None,
        recorder=JsonlFlagAuditLog(directory / "audit.jsonl"),
        env={},
    )


def flip_many(directory: Path, worker: int, flips: int, flags: tuple[str, ...]) -> None:
    """Process target: flip ``flips`` times, cycling through ``flags``."""
    store = open_file_store(directory)
    for i in range(flips):
        store.set(flags[i % len(flags)], (worker + i) % 2 == 0, f"worker-{worker}", f"flip {i}")


def read_until_stopped(directory: Path, stop: Event, errors: Queue[str]) -> None:
    """Process target: read every flag until ``stop`` is set; report the first failure."""
    store = open_file_store(directory)
    while not stop.is_set():
        try:
            store.all()
            store.version()
        except Exception as exc:
            errors.put(repr(exc))
            return
