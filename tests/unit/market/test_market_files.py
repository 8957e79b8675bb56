"""CSV / Parquet import: column and timestamp parsing, and errors naming file, line and rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from quorum.domain import Timeframe
from quorum.errors import DataQualityError, ValidationFailed
from quorum.market import SOURCE_ROW, FileSource, check_bars, infer_timeframe, read_bar_file

START = datetime(2024, 1, 1, tzinfo=UTC)
WriteCsv = Callable[[str, list[str]], Path]


def test_csv_is_read_with_case_insensitive_columns_and_1_based_line_numbers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bars.csv"
    path.write_text(
        "Date,OPEN,High,low,Close,Volume,extra\n"
        "2024-01-01T00:00:00Z,1,2,0.5,1.5,10,x\n"
        "\n"
        "2024-01-01T01:00:00+00:00,1.5,2.5,1,2,11,y\n"
    )
    raw = read_bar_file(path)
    assert list(raw.columns) == ["open", "high", "low", "close", "volume", SOURCE_ROW]
    assert list(raw[SOURCE_ROW]) == [2, 4]  # the blank line still counts
    assert list(raw.index) == [pd.Timestamp(START), pd.Timestamp(START + timedelta(hours=1))]
    assert str(raw.index.tz) == "UTC"
    assert raw.index.name == "ts"
    assert raw.attrs == {"source": str(path), "row_kind": "line"}
    assert raw["close"].tolist() == [1.5, 2.0]


def test_utc_offsets_are_converted_to_utc(write_csv: WriteCsv) -> None:
    raw = read_bar_file(write_csv("b.csv", ["2024-01-01T02:00:00+02:00,1,2,0.5,1.5,10"]))
    assert raw.index[0] == pd.Timestamp(START)


@pytest.mark.parametrize(
    "stamps",
    [["1704067200", "1704070800"], ["1704067200000", "1704070800000"]],
    ids=["epoch-seconds", "epoch-milliseconds"],
)
def test_epoch_seconds_and_milliseconds_are_detected(
    write_csv: WriteCsv, stamps: list[str]
) -> None:
    raw = read_bar_file(write_csv("b.csv", [f"{s},1,2,0.5,1.5,10" for s in stamps]))
    assert list(raw.index) == [pd.Timestamp(START), pd.Timestamp(START + timedelta(hours=1))]


def test_naive_timestamps_are_refused_unless_assumed_utc(write_csv: WriteCsv) -> None:
    path = write_csv(
        "b.csv", ["2024-01-01T00:00:00Z,1,2,0.5,1.5,10", "2024-01-01 01:00,1,2,0.5,1.5,10"]
    )
    with pytest.raises(
        DataQualityError, match=r"b\.csv line 3: timestamp '2024-01-01 01:00' has no"
    ):
        read_bar_file(path)
    raw = read_bar_file(path, assume_utc=True)
    assert raw.index[1] == pd.Timestamp(START + timedelta(hours=1))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2024-01-01T00:00:00Z,1,2,abc,1.5,10", r"line 2: column low: 'abc' is not a number"),
        ("2024-13-45T00:00:00Z,1,2,0.5,1.5,10", r"line 2: '2024-13-45T00:00:00Z' is not an ISO"),
        ("2024-01-01T00:00:00Z,1,2,0.5,1.5", r"line 2: expected 6 fields as in the header, got 5"),
        (
            "99999999999999999999,1,2,0.5,1.5,10",
            r"line 2: epoch timestamp .* is outside 1970..2200",
        ),
    ],
    ids=["not-a-number", "bad-date", "short-row", "epoch-out-of-range"],
)
def test_unreadable_rows_are_refused_naming_file_and_line(
    write_csv: WriteCsv, line: str, expected: str
) -> None:
    path = write_csv("bad.csv", [line])
    with pytest.raises(DataQualityError, match=rf"bad\.csv {expected}"):
        read_bar_file(path)


def test_empty_cells_become_nan_for_the_quality_gate(write_csv: WriteCsv) -> None:
    raw = read_bar_file(write_csv("b.csv", ["2024-01-01T00:00:00Z,1,2,,1.5,10"]))
    assert raw["low"].isna().all()


def test_missing_and_ambiguous_columns_are_refused_naming_the_header(tmp_path: Path) -> None:
    no_volume = tmp_path / "a.csv"
    no_volume.write_text("time,open,high,low,close\n2024-01-01T00:00:00Z,1,2,0.5,1.5\n")
    with pytest.raises(DataQualityError, match=r"a\.csv header: missing column\(s\) \['volume'\]"):
        read_bar_file(no_volume)
    two_clocks = tmp_path / "b.csv"
    two_clocks.write_text("date,time,open,high,low,close,volume\n")
    with pytest.raises(DataQualityError, match=r"several timestamp columns \['time', 'date'\]"):
        read_bar_file(two_clocks)


def test_unsupported_and_missing_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DataQualityError, match=r"unsupported file type '\.txt'"):
        read_bar_file(tmp_path / "bars.txt")
    with pytest.raises(DataQualityError, match="file not found"):
        read_bar_file(tmp_path / "absent.csv")


def test_parquet_is_read_with_1_based_row_numbers(
    tmp_path: Path, make_bars: Callable[..., pd.DataFrame]
) -> None:
    bars = make_bars(5)
    path = tmp_path / "bars.parquet"
    bars.rename(columns=str.upper).to_parquet(path)  # the DatetimeIndex becomes the timestamp
    raw = read_bar_file(path)
    pd.testing.assert_frame_equal(raw.drop(columns=SOURCE_ROW), bars, check_freq=False)
    assert list(raw[SOURCE_ROW]) == [1, 2, 3, 4, 5]
    assert raw.attrs["row_kind"] == "row"


def test_parquet_with_naive_datetime_column_needs_assume_utc(
    tmp_path: Path, make_bars: Callable[..., pd.DataFrame]
) -> None:
    bars = make_bars(3)
    table = bars.reset_index()
    table["ts"] = table["ts"].dt.tz_localize(None)
    path = tmp_path / "naive.parquet"
    table.to_parquet(path)
    with pytest.raises(
        DataQualityError, match=r"naive\.parquet row 1: timestamps have no timezone"
    ):
        read_bar_file(path)
    assert read_bar_file(path, assume_utc=True).index[0] == pd.Timestamp(START)


def test_symbol_column_selects_rows_and_keeps_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text(
        "symbol,timestamp,open,high,low,close,volume\n"
        "BTC/USDT,2024-01-01T00:00:00Z,1,2,0.5,1.5,10\n"
        "ETH/USDT,2024-01-01T00:00:00Z,3,4,2.5,3.5,20\n"
        "ETH/USDT,2024-01-01T01:00:00Z,3,4,2.5,3.5,20\n"
    )
    raw = read_bar_file(path, symbol="ETH/USDT")
    assert list(raw[SOURCE_ROW]) == [3, 4]
    with pytest.raises(DataQualityError, match=r"holds several .*BTC/USDT, ETH/USDT"):
        read_bar_file(path)


def test_infer_timeframe_uses_the_most_common_spacing(
    make_bars: Callable[..., pd.DataFrame],
) -> None:
    bars = make_bars(20, Timeframe.M15)
    bars = bars.drop(index=bars.index[[3, 9, 10]])  # gaps do not confuse the inference
    assert infer_timeframe(bars) is Timeframe.M15
    assert infer_timeframe(make_bars(1)) is None


def test_file_source_serves_the_requested_window_and_rereads_a_changed_file(
    write_csv: WriteCsv,
    make_bars: Callable[..., pd.DataFrame],
    bars_csv_lines: Callable[[pd.DataFrame], list[str]],
) -> None:
    bars = make_bars(10)
    path = write_csv("b.csv", bars_csv_lines(bars))
    source = FileSource(path, timeframe=Timeframe.H1)
    window = source.fetch_raw(
        "BTC/USDT", Timeframe.H1, START + timedelta(hours=2), START + timedelta(hours=5)
    )
    assert list(window.index) == list(bars.index[2:5])
    assert list(window[SOURCE_ROW]) == [4, 5, 6]
    assert window.attrs["source"] == str(path)
    write_csv("b.csv", bars_csv_lines(make_bars(12)))
    longer = source.fetch_raw("BTC/USDT", Timeframe.H1, START, START + timedelta(days=1))
    assert len(longer) == 12


def test_file_source_refuses_a_timeframe_the_file_does_not_hold(
    write_csv: WriteCsv,
    make_bars: Callable[..., pd.DataFrame],
    bars_csv_lines: Callable[[pd.DataFrame], list[str]],
) -> None:
    source = FileSource(write_csv("b.csv", bars_csv_lines(make_bars(3))), timeframe=Timeframe.H1)
    with pytest.raises(ValidationFailed, match="holds 1h bars"):
        source.fetch_raw("BTC/USDT", Timeframe.H4, START, START + timedelta(days=1))


def test_file_source_keeps_rows_with_missing_timestamps_for_the_gate(write_csv: WriteCsv) -> None:
    path = write_csv("b.csv", ["2024-01-01T00:00:00Z,1,2,0.5,1.5,10", ",1,2,0.5,1.5,10"])
    raw = FileSource(path).fetch_raw("BTC/USDT", Timeframe.H1, START, START + timedelta(hours=5))
    assert len(raw) == 2
    with pytest.raises(
        DataQualityError, match=r"row NaT \(.*b\.csv line 3\): non_finite: timestamp"
    ):
        check_bars(raw, "BTC/USDT", Timeframe.H1, START + timedelta(hours=1))
