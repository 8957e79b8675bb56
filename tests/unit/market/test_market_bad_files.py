"""Bar files that cannot be misread (issue #23 item 1), through `quorum data import`,
`quorum data validate` and `quorum scan --data csv:PATH` (the file source that `quorum run`
and `quorum backtest` use): each bad file is refused with its exact message and exit code,
and nothing is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli.commands.data import app as data_app
from apps.cli.main import app as main_app

HEADER = "timestamp,open,high,low,close,volume"
runner = CliRunner()


def _rows(start: datetime, step: timedelta, count: int, fmt: str = "%Y-%m-%dT%H:%M:%SZ") -> str:
    lines = []
    for i in range(count):
        price = 100 + i
        stamp = (start + i * step).strftime(fmt)
        lines.append(f"{stamp},{price},{price + 2},{price - 1},{price + 1},10")
    return "\n".join(lines)


HOUR, DAY = timedelta(hours=1), timedelta(days=1)
T0 = datetime(2024, 1, 1, tzinfo=UTC)
HOURLY = f"{HEADER}\n{_rows(T0, HOUR, 24)}\n"
DAILY = f"{HEADER}\n{_rows(T0, DAY, 30)}\n"


@dataclass(frozen=True)
class Bad:
    name: str
    content: bytes
    timeframe: str
    message: str  # {path} is replaced by the file's path
    extra: tuple[str, ...] = ()


def _swap_lines(text: str, a: int, b: int) -> str:
    lines = text.splitlines()
    lines[a], lines[b] = lines[b], lines[a]
    return "\n".join(lines) + "\n"


def _repeat_line(text: str, at: int) -> str:
    lines = text.splitlines()
    lines.insert(at + 1, lines[at])
    return "\n".join(lines) + "\n"


BAD = [
    Bad(
        "empty",
        b"",
        "1h",
        "{path}: empty file (0 bytes); expected a CSV header line and bar rows",
    ),
    Bad(
        "header-only",
        f"{HEADER}\n".encode(),
        "1h",
        "{path}: no bar rows after the header; expected at least one bar",
    ),
    Bad(
        "binary",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        "1h",
        "{path}: binary content (a NUL byte at byte 8); expected a UTF-8 CSV text file",
    ),
    Bad(
        "latin-1",
        f"{HEADER},venue\n{_rows(T0, HOUR, 2).replace('10\n', '10,Bourse\n')},Société\n".encode(
            "latin-1"
        ),
        "1h",
        "{path} line 3: byte 0xe9 (at byte 133) is not UTF-8; expected a UTF-8 CSV file "
        "(re-save it as UTF-8)",
    ),
    Bad(
        "hourly-declared-15m",
        HOURLY.encode(),
        "15m",
        "{path}: timestamps are 1h apart (23 of 23 steps), but the timeframe is declared 15m; "
        "expected bars every 15m, or declare the timeframe 1h",
    ),
    Bad(
        "daily-declared-1h",
        DAILY.encode(),
        "1h",
        "{path}: timestamps are 1d apart (29 of 29 steps), but the timeframe is declared 1h; "
        "expected bars every 1h, or declare the timeframe 1d",
    ),
    Bad(
        "bar-close-23:59:59",
        f"{HEADER}\n{_rows(T0 + DAY - timedelta(seconds=1), DAY, 30)}\n".encode(),
        "1d",
        "{path}: every timestamp is off the 1d grid (the first, 2024-01-01T23:59:59+00:00, "
        "is 23:59:59 past it): they look like bar-close times; expected bar open times on the "
        "1d grid counted from 00:00 UTC, or declare timestamps close",
    ),
    Bad(
        "bar-close-midnight-weekdays",
        (
            f"{HEADER}\n"
            + "\n".join(
                f"{(T0 + (d + 1) * DAY):%Y-%m-%dT%H:%M:%SZ},100,102,99,101,10"
                for d in range(40)
                if (T0 + d * DAY).weekday() < 5
            )
            + "\n"
        ).encode(),
        "1d",
        "{path}: 6 daily bars fall on Saturdays and none on a Monday: the stamps look like "
        "bar-close times (midnight after each session); expected bar open times, or declare "
        "timestamps close",
    ),
    Bad(
        "duplicate-row",
        _repeat_line(HOURLY, 3).encode(),
        "1h",
        "BTC/USDT 1h row 2024-01-01T02:00:00+00:00 ({path} line 5): duplicates: timestamp "
        "repeats the previous row; expected unique timestamps",
    ),
    Bad(
        "out-of-order",
        _swap_lines(HOURLY, 3, 4).encode(),
        "1h",
        "BTC/USDT 1h row 2024-01-01T02:00:00+00:00 ({path} line 5): out_of_order: timestamp "
        "is earlier than a previous row (2024-01-01T03:00:00+00:00); expected strictly "
        "increasing timestamps",
    ),
    Bad(
        "naive-timestamps",
        f"{HEADER}\n{_rows(T0, HOUR, 3, '%Y-%m-%dT%H:%M:%S')}\n".encode(),
        "1h",
        "{path} line 2: timestamp '2024-01-01T00:00:00' has no timezone; expected ISO-8601 "
        "with a UTC offset such as 2024-01-01T00:00:00Z (or pass assume_utc)",
    ),
]
IDS = [b.name for b in BAD]


def _write(tmp_path: Path, bad: Bad) -> Path:
    path = tmp_path / f"{bad.name}.csv"
    path.write_bytes(bad.content)
    return path


def _nothing_written(store: Path) -> bool:
    return not store.exists()


@pytest.mark.parametrize("bad", BAD, ids=IDS)
def test_import_refuses_the_bad_file_exit_1_with_its_message_and_writes_nothing(
    tmp_path: Path, bad: Bad
) -> None:
    path, store = _write(tmp_path, bad), tmp_path / "store"
    args = ["import", str(path), "-s", "BTC/USDT", "-t", bad.timeframe, "--store", str(store)]
    result = runner.invoke(data_app, args)
    assert result.exit_code == 1, result.output
    expected = bad.message.format(path=path)
    assert f"error: {expected}; nothing was written" in " ".join(result.stderr.split()), (
        result.stderr
    )
    assert "Traceback" not in result.output
    assert _nothing_written(store)


@pytest.mark.parametrize("bad", BAD, ids=IDS)
def test_validate_refuses_the_bad_file_exit_1_with_its_message(tmp_path: Path, bad: Bad) -> None:
    path = _write(tmp_path, bad)
    result = runner.invoke(data_app, ["validate", str(path), "-s", "BTC/USDT", "-t", bad.timeframe])
    assert result.exit_code == 1, result.output
    assert f"error: {bad.message.format(path=path)}" in " ".join(result.stderr.split())


def test_a_close_stamped_daily_file_imports_when_declared_and_its_bars_open_at_midnight(
    tmp_path: Path,
) -> None:
    bad = next(b for b in BAD if b.name == "bar-close-23:59:59")
    path, store = _write(tmp_path, bad), tmp_path / "store"
    args = ["import", str(path), "-s", "GOOG/USD", "-t", "1d", "--store", str(store)]
    result = runner.invoke(data_app, [*args, "--timestamps", "close"])
    assert result.exit_code == 0, result.output
    from quorum.domain import Timeframe
    from quorum.market import ParquetBarStore

    stored = ParquetBarStore(store).read("GOOG/USD", Timeframe.D1)
    assert stored.df.index[0] == T0
    assert stored.df["close"].iloc[0] == 101


def test_an_hourly_file_bar_close_stamps_declared_close_open_one_hour_earlier(
    tmp_path: Path,
) -> None:
    path = tmp_path / "closes.csv"
    path.write_text(HOURLY)
    result = runner.invoke(
        data_app, ["validate", str(path), "-t", "1h", "--timestamps", "close", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert '"first_ts": "2023-12-31T23:00:00Z"' in result.output


def test_validate_infers_the_timeframe_and_still_checks_the_convention(tmp_path: Path) -> None:
    bad = next(b for b in BAD if b.name == "bar-close-23:59:59")
    path = _write(tmp_path, bad)
    result = runner.invoke(data_app, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    assert bad.message.format(path=path) in " ".join(result.stderr.split())


def test_scan_of_an_hourly_file_as_15m_bars_is_refused_not_read_ahead(tmp_path: Path) -> None:
    """The look-ahead of the issue: 600 hourly bars read as 15m bars, scanned at 10:15 of
    day 21, reported close 591.0 (the hour that ends at 11:00). The file source (the one
    `quorum run`/`quorum backtest` use for csv:PATH) refuses the file instead."""
    path = tmp_path / "hourly.csv"
    path.write_text(f"{HEADER}\n{_rows(T0, HOUR, 600)}\n")
    args = ["scan", "--symbols", "BTC/USDT", "--timeframes", "15m", "--base", "15m"]
    args += ["--data", f"csv:{path}", "--as-of", "2024-01-21T10:15:00Z", "--history", "2000"]
    result = runner.invoke(main_app, [*args, "--json"])
    assert result.exit_code == 1, result.output
    assert (
        f"{path}: timestamps are 1h apart (599 of 599 steps), but the timeframe is declared "
        "15m; expected bars every 15m, or declare the timeframe 1h"
    ) in " ".join(result.output.split())


def test_backtest_of_an_hourly_file_as_15m_bars_is_refused_by_the_same_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "hourly.csv"
    path.write_text(HOURLY)
    args = ["backtest", "--symbols", "BTC/USDT", "--timeframes", "15m", "--data", f"csv:{path}"]
    args += ["--start", "2024-01-01T00:00:00Z", "--end", "2024-01-02T00:00:00Z"]
    result = runner.invoke(main_app, [*args, "--strategy", "ema-cross:10,30", "--llm", "offline"])
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert (
        f"{path}: timestamps are 1h apart (23 of 23 steps), but the timeframe is declared 15m"
        in text
    )


def test_declared_close_stamps_off_the_intraday_grid_are_refused_naming_the_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "half-hours.csv"
    path.write_text(f"{HEADER}\n{_rows(T0 + HOUR / 2, HOUR, 5)}\n")
    result = runner.invoke(data_app, ["validate", str(path), "-t", "1h", "--timestamps", "close"])
    assert result.exit_code == 1, result.output
    assert (
        f"error: {path} line 2: timestamp 2024-01-01T00:30:00+00:00 is not a bar close on the "
        "1h grid; expected close times on the grid (or less than 1 s before it)"
    ) in " ".join(result.stderr.split())


def test_import_refuses_a_file_whose_every_row_the_repairs_dropped(tmp_path: Path) -> None:
    path, store = tmp_path / "all-nan.csv", tmp_path / "store"
    rows = [f"2024-01-01T{h:02d}:00:00Z,1,2,0.5,,10" for h in range(4)]
    path.write_text(f"{HEADER}\n" + "\n".join(rows) + "\n")
    args = ["import", str(path), "-s", "BTC/USDT", "-t", "1h", "--store", str(store)]
    result = runner.invoke(data_app, [*args, "--policy", "repair"])
    assert result.exit_code == 1, result.output
    assert (
        f"error: {path}: no bars left after the quality gates (4 rows read); expected at "
        "least one valid closed bar; nothing was written"
    ) in " ".join(result.stderr.split())
    assert not store.exists()
