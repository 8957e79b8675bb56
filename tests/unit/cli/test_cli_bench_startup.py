"""`quorum bench startup --json`: each measurement ran in its own child process and is
reported with wall and CPU time, the run's own summary and the load average."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli.main import app


def test_a_small_startup_bench_reports_every_measurement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["bench", "startup", "--json", "--help-runs", "1", "--steps", "2"]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{") :])
    assert report["help"]["runs"] == 1
    assert report["help"]["cpu_median_s"] > 0
    assert report["run"]["steps"] == 2
    assert report["run"]["journal_verified"] is True
    assert 0 < report["run"]["in_command_s"] < report["run"]["wall_s"]
    assert report["worker_first_scan"]["first_scan_s"] > 0
    assert report["worker_first_scan"]["preload_s"] > 0
    assert set(report["met"]) == {"help_cpu_s", "run_wall_s", "worker_first_scan_s"}
    assert {"before", "after"} <= set(report["load_average_1m"])
    assert report["machine"]["nproc"]
    assert not list(tmp_path.iterdir()), "the run's files stay in the bench's scratch directory"
