"""``monitor`` publishes the trading gauges only when something exports them (#22 item 4):
the status queries behind them cost ~20 ms a pass, for nothing in a process nobody scrapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.pipeline.kit import make_kit

from quorum.pipeline import monitor_task
from quorum.pipeline.deps import PipelineDeps
from quorum.telemetry.metrics import MULTIPROC_ENV


def _published(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def record(deps: PipelineDeps) -> None:
        calls.append(deps.run_id)

    monkeypatch.setattr(monitor_task, "publish_trading", record)
    return calls


def test_without_an_exporter_monitor_publishes_no_gauges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    calls = _published(monkeypatch)
    kit = make_kit()
    try:
        assert kit.tasks.monitor()["status"] == "done"
    finally:
        kit.close()

    assert calls == []


def test_with_the_multiprocess_exporter_monitor_publishes_the_gauges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path / "prometheus"))
    calls = _published(monkeypatch)
    kit = make_kit()
    try:
        assert kit.tasks.monitor()["status"] == "done"
    finally:
        kit.close()

    assert calls == ["test-run"]
