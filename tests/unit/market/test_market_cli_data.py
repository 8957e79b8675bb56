"""`quorum data validate` / `quorum data import`, and the malformed-CSV acceptance cases:
NaN, out-of-order rows, negative volume and high < low are refused naming the CSV line and
the rule, and nothing is written to the store."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from apps.cli.commands.data import app
from quorum.clock import ReplayClock
from quorum.domain import Timeframe
from quorum.errors import DataQualityError
from quorum.market import MarketDataLoader, ParquetBarStore, check_bars, open_source, read_bar_file

GOOD = [
    "2024-01-01T00:00:00Z,100,101,99,100.5,10",
    "2024-01-01T01:00:00Z,100.5,102,100,101,12",
    "2024-01-01T02:00:00Z,101,103,100.5,102,9",
    "2024-01-01T03:00:00Z,102,102.5,101,101.2,5",
]


def _with(line: str, *, swap: bool = False) -> list[str]:
    """GOOD with data line 3 (CSV line 4) replaced; ``swap`` exchanges data lines 2 and 3."""
    lines = list(GOOD)
    lines[2] = line
    if swap:
        lines[1], lines[2] = lines[2], lines[1]
    return lines


# (name, data lines, rule named in the error); the offending row is CSV line 4 in each.
MALFORMED = [
    ("nan", _with("2024-01-01T02:00:00Z,101,103,,102,9"), "non_finite"),
    ("out-of-order", _with(GOOD[2], swap=True), "out_of_order"),
    ("negative-volume", _with("2024-01-01T02:00:00Z,101,103,100.5,102,-9"), "negative_volume"),
    ("high-below-low", _with("2024-01-01T02:00:00Z,101,99,100.5,102,9"), "ohlc"),
]
IDS = [m[0] for m in MALFORMED]
CSV_LINE = 4
WriteCsv = Callable[[str, list[str]], Path]
runner = CliRunner()


def _malformed(write_csv: WriteCsv, lines: list[str]) -> Path:
    return write_csv("bad.csv", lines)


@pytest.mark.parametrize(("name", "lines", "rule"), MALFORMED, ids=IDS)
def test_malformed_csv_is_refused_by_the_library_naming_line_and_rule(
    write_csv: WriteCsv, name: str, lines: list[str], rule: str
) -> None:
    raw = read_bar_file(_malformed(write_csv, lines))
    with pytest.raises(DataQualityError) as caught:
        check_bars(raw, "BTC/USDT", Timeframe.H1, datetime(2024, 1, 1, 4, tzinfo=UTC))
    message = str(caught.value)
    assert message.startswith("BTC/USDT 1h row 2024-01-01T0")
    assert f"bad.csv line {CSV_LINE}): {rule}:" in message


@pytest.mark.parametrize(("name", "lines", "rule"), MALFORMED, ids=IDS)
def test_malformed_csv_import_exits_1_naming_line_and_rule_and_writes_nothing(
    write_csv: WriteCsv, tmp_path: Path, name: str, lines: list[str], rule: str
) -> None:
    path = _malformed(write_csv, lines)
    store = tmp_path / "store"
    result = runner.invoke(
        app, ["import", str(path), "-s", "BTC/USDT", "-t", "1h", "--store", str(store)]
    )
    assert result.exit_code == 1, result.output
    assert f"bad.csv line {CSV_LINE}): {rule}:" in result.stderr
    assert "nothing was written" in result.stderr
    assert not store.exists() or not any(store.rglob("*.parquet"))


@pytest.mark.parametrize(("name", "lines", "rule"), MALFORMED, ids=IDS)
def test_validate_exits_1_on_a_malformed_csv_and_prints_the_report(
    write_csv: WriteCsv, name: str, lines: list[str], rule: str
) -> None:
    path = _malformed(write_csv, lines)
    result = runner.invoke(app, ["validate", str(path), "--symbol", "BTC/USDT", "-t", "1h"])
    assert result.exit_code == 1
    assert "REJECTED" in result.stdout
    assert rule in result.stdout
    assert f"line {CSV_LINE}): {rule}:" in result.stderr


def test_validate_exits_0_on_a_clean_file_and_infers_the_timeframe(write_csv: WriteCsv) -> None:
    result = runner.invoke(app, ["validate", str(write_csv("ok.csv", GOOD))])
    assert result.exit_code == 0, result.output
    assert "passed" in result.stdout
    assert "UNKNOWN/UNKNOWN 1h" in result.stdout


def test_validate_json_reports_ok_and_the_full_report(write_csv: WriteCsv) -> None:
    bad = _malformed(write_csv, MALFORMED[2][1])
    result = runner.invoke(app, ["validate", str(bad), "--json", "-s", "BTC/USDT"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["ok"] is False
    assert "negative_volume" in payload["error"]
    rules = {p["rule"]: p for p in payload["report"]["problems"]}
    assert rules["negative_volume"]["action"] == "rejected"
    assert rules["negative_volume"]["first_row"] == 4


def test_validate_with_repair_policy_passes_and_lists_the_repairs(write_csv: WriteCsv) -> None:
    bad = _malformed(write_csv, MALFORMED[3][1])
    result = runner.invoke(app, ["validate", str(bad), "--policy", "repair", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["ok"] is True
    assert [(r["rule"], r["source_row"]) for r in payload["report"]["repaired"]] == [("ohlc", 4)]


def test_validate_usage_errors_exit_2(write_csv: WriteCsv) -> None:
    path = str(write_csv("ok.csv", GOOD))
    assert runner.invoke(app, ["validate", path, "--timeframe", "7m"]).exit_code == 2
    assert runner.invoke(app, ["validate", path, "--symbol", "bitcoin"]).exit_code == 2
    assert runner.invoke(app, ["validate", path, "--policy", "ignore"]).exit_code == 2


def test_validate_of_a_missing_file_exits_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "none.csv")])
    assert result.exit_code == 1
    assert "file not found" in result.stderr


def test_import_writes_a_clean_file_to_the_store_readable_by_the_store_source(
    write_csv: WriteCsv, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    args = [
        "import",
        str(write_csv("ok.csv", GOOD)),
        "-s",
        "BTC/USDT",
        "-t",
        "1h",
        "--store",
        str(store),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "imported 4 bars of BTC/USDT 1h" in result.stdout
    stored = ParquetBarStore(store).read("BTC/USDT", Timeframe.H1)
    assert len(stored) == 4
    loader = open_source(
        "store", clock=ReplayClock(datetime(2024, 1, 1, 4, tzinfo=UTC)), store_root=store
    )
    assert isinstance(loader, MarketDataLoader)
    bars = loader.fetch_bars(
        "BTC/USDT",
        Timeframe.H1,
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2024, 1, 1, 4, tzinfo=UTC),
    )
    pd.testing.assert_frame_equal(bars.df, stored.df)
