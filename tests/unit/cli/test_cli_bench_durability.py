"""`quorum bench durability` counts what a `quorum run` writes durably (issue #22 item 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli.main import app


def test_bench_durability_reports_commits_per_bar_and_a_pruned_checkpoint_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    outcome = CliRunner().invoke(
        app, ["bench", "durability", "--steps", "6", "--no-fsyncs", "--json"]
    )
    assert outcome.exit_code == 0, outcome.output
    result = json.loads(outcome.output)
    assert result["base_bars"] == 6
    assert result["scans"] > 6
    assert 0 < result["scan_transactions_per_base_bar"] <= 1
    assert result["writing_commits_per_base_bar"] <= result["commits_per_base_bar"]
    if result["analyses_through_graph"]:
        assert result["checkpoint_bytes_written_per_analysis"] > 0
    assert result["checkpoint_file_after_run"]["threads"] == 0
    assert "fsyncs" not in result
