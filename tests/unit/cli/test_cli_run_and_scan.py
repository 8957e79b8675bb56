"""`quorum run` and `quorum scan` through the real CLI, offline."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli.main import app
from quorum.domain import Timeframe
from quorum.testing import make_bars_df

runner = CliRunner()


def test_run_drives_the_pipeline_and_its_summary_agrees_with_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(
        app,
        ["run", "--steps", "8", "--symbols", "BTC/USDT,ETH/USDT", "--json"],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["steps"] == 8
    assert summary["base_bars"] == 16
    assert summary["tasks"]["plan"] == 8
    assert summary["tasks"]["sweep"] == 8  # the embedded sweeper: once per bar
    assert summary["end"] == "2025-01-01T02:00:00+00:00"
    assert summary["journal"]["verified"] is True
    with sqlite3.connect(tmp_path / summary["database"].removeprefix("sqlite:///")) as db:
        kinds = dict(
            db.execute(
                "SELECT kind, count(*) FROM journal_entries WHERE run_id = ? GROUP BY kind",
                (summary["run_id"],),
            )
        )
        signals = db.execute("SELECT count(*) FROM pipeline_signals").fetchone()[0]
    # one SCAN entry per scan task, the run's start and end, one row per stored signal
    assert kinds["scan"] == summary["bars_scanned"] == sum(summary["scans"].values())
    assert kinds["run"] == 2
    assert signals == summary["signals"]
    assert summary["journal"]["appended"] == sum(kinds.values())
    assert summary["journal"]["checkpoints_checked"] >= 1


def test_a_second_run_is_its_own_account_unless_a_database_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["run", "--steps", "2", "--symbols", "BTC/USDT", "--timeframes", "15m", "--json"]
    first = json.loads(runner.invoke(app, args).output)
    second = json.loads(runner.invoke(app, args).output)
    # by default every run gets its own database: same bars, same account size
    assert first["database"] != second["database"]
    assert second["bars_scanned"] == first["bars_scanned"] > 0
    assert first["journal"]["entries"] == second["journal"]["entries"]
    # a named database is shared: a later window extends the same verified chain
    shared = ["--db", f"sqlite:///{tmp_path / 'shared.db'}"]
    one = json.loads(runner.invoke(app, [*args, *shared]).output)
    later = ["--start", "2025-01-01T01:00:00Z"]
    two = json.loads(runner.invoke(app, [*args, *shared, *later]).output)
    assert two["journal"]["verified"] is True
    assert two["journal"]["entries"] > one["journal"]["entries"]


def test_run_refuses_a_start_without_utc_offset() -> None:
    result = runner.invoke(app, ["run", "--start", "2025-01-01T00:00:00", "--steps", "1"])
    assert result.exit_code == 2
    assert "no UTC offset" in result.output


def test_scan_json_has_every_requested_timeframe_with_closed_bars_only() -> None:
    result = runner.invoke(
        app,
        [
            "scan",
            "--symbols",
            "BTC/USDT",
            "--timeframes",
            "1h,4h",
            "--as-of",
            "2025-01-01T00:30:00Z",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    (scan,) = json.loads(result.output)
    assert [t["timeframe"] for t in scan["timeframes"]] == ["1h", "4h"]
    for item in scan["timeframes"]:
        tf = Timeframe(item["timeframe"])
        assert item["bars"] == 500
        # the last closed 1h bar at 00:30 opened at 23:00; the last 4h bar at 20:00
        expected_open = {"1h": "2024-12-31T23:00:00Z", "4h": "2024-12-31T20:00:00Z"}[tf.value]
        assert item["snapshot"]["bar_open"] == expected_open


def _write_csv(path: Path, rows: int = 600) -> Path:
    df = make_bars_df(rows, timeframe=Timeframe.H1, seed=3)
    df.index = df.index.strftime("%Y-%m-%dT%H:%M:%SZ")
    df.index.name = "timestamp"
    df.to_csv(path)
    return path


def test_scan_reads_an_imported_csv_at_its_last_close(tmp_path: Path) -> None:
    csv = _write_csv(tmp_path / "bars.csv")
    result = runner.invoke(app, [*_csv_scan(csv), "--json"])
    assert result.exit_code == 0, result.output
    (scan,) = json.loads(result.output)
    assert scan["timeframes"][0]["bars"] == 500


@pytest.mark.parametrize(
    ("mutate", "rule"),
    [
        (lambda lines: lines.__setitem__(-20, _field(lines[-20], 4, "nan")), "nan"),
        (lambda lines: lines.insert(-30, lines.pop(-25)), "order"),
        (lambda lines: lines.__setitem__(-20, _field(lines[-20], 5, "-3")), "volume"),
        (lambda lines: lines.__setitem__(-20, _field(lines[-20], 2, "0.0001")), "high"),
    ],
    ids=["nan", "out_of_order", "negative_volume", "high_below_low"],
)
def test_scan_refuses_a_malformed_csv_naming_the_row_and_rule(
    tmp_path: Path, mutate: object, rule: str
) -> None:
    csv = _write_csv(tmp_path / "bars.csv")
    lines = csv.read_text().splitlines()
    mutate(lines)  # type: ignore[operator]
    csv.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, [*_csv_scan(csv), "--as-of", "2024-01-26T00:00:00Z"])
    assert result.exit_code == 1
    assert "row" in result.output or "line" in result.output
    assert rule in result.output.lower()


def _csv_scan(csv: Path) -> list[str]:
    """`quorum scan` of one hourly CSV, analysed at its own timeframe."""
    return [
        "scan",
        "--symbols",
        "ABC/USD",
        "--timeframes",
        "1h",
        "--base",
        "1h",
        "--data",
        f"csv:{csv}",
    ]


def _field(line: str, index: int, value: str) -> str:
    parts = line.split(",")
    parts[index] = value
    return ",".join(parts)


def test_run_refuses_a_history_shorter_than_the_warm_up_with_a_named_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["run", "--steps", "1", "--symbols", "BTC/USDT", "--history", "120"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "history_bars: 120 is shorter than the indicators' warm-up" in result.output
    assert "Traceback" not in result.output


def test_a_plain_date_means_that_utc_day_and_a_naive_time_is_refused() -> None:
    from datetime import UTC, datetime

    import typer as _typer

    from apps.cli.options import parse_time

    assert parse_time("2024-01-01", "--start") == datetime(2024, 1, 1, tzinfo=UTC)
    with pytest.raises(_typer.BadParameter, match="no UTC offset"):
        parse_time("2024-01-01T05:00:00", "--start")
    with pytest.raises(_typer.BadParameter, match="not an ISO-8601 date or time"):
        parse_time("2024-13-01", "--start")


def test_run_refuses_an_exchange_url_that_is_not_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["run", "--steps", "1", "--symbols", "BTC/USDT", "--exchange-url", "ftp://x"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "--exchange-url" in result.output
    assert "Traceback" not in result.output


def test_run_says_why_the_offline_analyst_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Offline answers are counted with their reason in the summary, never silent."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "400")
    args = ["run", "--steps", "24", "--symbols", "BTC/USDT,ETH/USDT"]
    as_json = json.loads(runner.invoke(app, [*args, "--json"]).output)
    offline = as_json["offline_answers"]
    assert offline, "the default run's analysts are answered offline"
    assert all("no configured model with a usable key serves role" in why for why in offline)
    assert sum(offline.values()) == as_json["llm"]["calls"]
    text = runner.invoke(app, args).output
    assert (
        f"{sum(offline.values())} answer(s) by the offline analyst: offline: no configured" in text
    )
