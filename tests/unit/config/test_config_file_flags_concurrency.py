"""Several processes flipping flags in one file lose no update; readers never see a torn file."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from pathlib import Path

from tests.unit.config.config_fakes import flip_many, open_file_store, read_until_stopped

from quorum.config import FLAG_SPECS, FlagValue, JsonlFlagAuditLog

WORKERS = 4
FLIPS_PER_WORKER = 20
FLAGS = ("kill_switch", "analysis.enabled", "llm.allow_paid")


def test_concurrent_flips_from_several_processes_lose_no_update(tmp_path: Path) -> None:
    # forkserver: children fork from a clean single-threaded server, not from pytest.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["quorum.config", "tests.unit.config.config_fakes"])
    stop = context.Event()
    errors = context.Queue()
    reader = context.Process(target=read_until_stopped, args=(tmp_path, stop, errors))
    writers = [
        context.Process(target=flip_many, args=(tmp_path, n, FLIPS_PER_WORKER, FLAGS))
        for n in range(WORKERS)
    ]
    reader.start()
    for process in writers:
        process.start()
    for process in writers:
        process.join(timeout=120)
    stop.set()
    reader.join(timeout=30)

    assert [process.exitcode for process in writers] == [0] * WORKERS
    assert reader.exitcode == 0
    assert errors.empty()
    total = WORKERS * FLIPS_PER_WORKER
    store = open_file_store(tmp_path)
    assert store.version() == total
    changes = sorted(JsonlFlagAuditLog(tmp_path / "audit.jsonl").entries(), key=lambda c: c.version)
    assert [change.version for change in changes] == list(range(1, total + 1))
    assert Counter(change.actor for change in changes) == {
        f"worker-{n}": FLIPS_PER_WORKER for n in range(WORKERS)
    }
    last: dict[str, FlagValue] = {name: FLAG_SPECS[name].default for name in FLAGS}
    for change in changes:
        assert change.old == last[change.name], f"lost update before version {change.version}"
        last[change.name] = change.new
    assert {name: store.get(name) for name in FLAGS} == last
    assert list(tmp_path.glob("*.tmp")) == []
