"""`quorum bench execution`: the kill-switch scenario reports time-to-block and
time-to-flat (embedded; the Celery mode says it was skipped when no Redis is given)."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from apps.cli.commands.bench import bench_execution

cli = typer.Typer()
cli.command("execution")(bench_execution)
cli.command("noop")(lambda: None)  # two commands: Typer keeps the sub-command name


def test_bench_execution_reports_kill_switch_block_and_flat_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("QUORUM_REDIS_URL", "QUORUM_TEST_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(cli, ["execution", "--intents", "0", "--positions", "2", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    embedded, celery = report["kill_switch"]["results"]
    assert embedded["mode"] == "embedded"
    assert embedded["positions"] == 2
    assert embedded["time_to_block_s"] is not None
    assert embedded["time_to_flat_s"] is not None
    assert embedded["failures_reported"] == 0
    assert embedded["trading_state_at_end"] == "halted"
    assert embedded["process_cpu_s"] >= 0
    assert len(embedded["load_average_1_5_15"]) == 3
    assert "no Redis" in celery["skipped"]
