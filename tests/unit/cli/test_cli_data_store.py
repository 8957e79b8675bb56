"""`--data store:DIR` (issue #23 item 2): a store written by `quorum data import` is what
`quorum run` and `quorum backtest` read, from the directory the flag names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli.main import app
from quorum.backtest.refdata import write_reference_csv

runner = CliRunner()


@pytest.fixture
def goog_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    csv = write_reference_csv("GOOG/USD", tmp_path / "goog.csv")
    store = tmp_path / "my-store"
    args = ["data", "import", str(csv), "-s", "GOOG/USD", "-t", "1d", "--store", str(store)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return store


def test_run_reads_the_store_the_flag_names(goog_store: Path) -> None:
    args = ["run", "--data", f"store:{goog_store}", "--symbols", "GOOG/USD"]
    args += ["--timeframes", "1d", "--base", "1d", "--start", "2013-02-20T00:00:00Z"]
    result = runner.invoke(app, [*args, "--steps", "3", "--history", "700", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["base_bars"] == 3
    assert summary["bars_scanned"] == 3
    assert summary["journal"]["verified"] is True


def test_backtest_reads_the_store_the_flag_names(goog_store: Path) -> None:
    args = ["backtest", "--data", f"store:{goog_store}", "--symbols", "GOOG/USD"]
    args += ["--timeframes", "1d", "--start", "2012-06-01T00:00:00Z"]
    args += ["--end", "2013-03-02T00:00:00Z", "--strategy", "ema-cross:10,30"]
    result = runner.invoke(app, [*args, "--llm", "offline", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{") :])
    assert summary["trades"] >= 1


def test_a_store_spec_without_a_directory_is_refused_naming_the_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["backtest", "--data", "store", "--symbols", "GOOG/USD", "--timeframes", "1d"]
    result = runner.invoke(app, [*args, "--llm", "offline", "--strategy", "ema-cross:10,30"])
    assert result.exit_code == 1, result.output
    assert "store:DIR" in " ".join(result.output.split())


def test_scan_reads_the_store_the_flag_names_at_its_last_close(goog_store: Path) -> None:
    args = ["scan", "--data", f"store:{goog_store}", "--symbols", "GOOG/USD"]
    args += ["--timeframes", "1d", "--base", "1d", "--history", "700"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    (scan,) = json.loads(result.output)
    assert scan["as_of"].startswith("2013-03-02")
