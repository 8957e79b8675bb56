"""`quorum bench candidates` reports the candidate rate and the analysed-vs-capped hit rate
(issue #23 item 4) on real daily equities, synthetic 1h bars and a capped `quorum run`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli.main import app


def test_bench_candidates_reports_rates_and_a_capped_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["bench", "candidates", "--every", "200", "--cycles", "12", "--steps", "6"]
    outcome = CliRunner().invoke(app, [*args, "--json"])
    assert outcome.exit_code == 0, outcome.output
    result = json.loads(outcome.output)
    for name in ("real_daily", "synthetic_1h"):
        part = result[name]
        assert part["scans"] == 4 * part["cycles"] > 0
        assert 0 <= part["candidates"] <= part["scans"]
        assert part["counted"]["analysed"] <= part["cycles"], "one analysis per cycle"
        assert set(part["hit_rate"]) == {"analysed", "capped", "none"}
    run = result["pipeline"]
    assert run["candidates_capped"] <= run["candidates"] <= run["bars_scanned"]
    assert run["candidates"] - run["candidates_capped"] <= run["steps"], "cap 1 per cycle"
    assert result["pipeline_uncapped"]["candidates_capped"] == 0, "the default has no cap"
