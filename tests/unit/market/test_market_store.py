"""The Parquet bar store: merge, coverage, atomic writes, and incremental upstream fetches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from quorum.clock import ReplayClock
from quorum.domain import BarFrame, Timeframe
from quorum.errors import DataQualityError, ValidationFailed
from quorum.market import (
    ParquetBarStore,
    StoreBackedSource,
    StoreSource,
    SyntheticParams,
    SyntheticSource,
)

SYMBOL = "BTC/USDT"
TF = Timeframe.H1
START = datetime(2024, 1, 1, tzinfo=UTC)
MakeBars = Callable[..., pd.DataFrame]


class CountingSource:
    """Wraps a raw source and records every window asked for."""

    def __init__(self, inner: SyntheticSource) -> None:
        self.inner = inner
        self.calls: list[tuple[datetime, datetime]] = []

    def fetch_raw(
        self, symbol: str, timeframe: Timeframe, since: datetime, until: datetime
    ) -> pd.DataFrame:
        self.calls.append((since, until))
        return self.inner.fetch_raw(symbol, timeframe, since, until)


class BrokenSource:
    """Returns bars with a negative volume."""

    def fetch_raw(
        self, symbol: str, timeframe: Timeframe, since: datetime, until: datetime
    ) -> pd.DataFrame:
        index = pd.date_range(since, until, freq=timeframe.pandas_freq, inclusive="left", name="ts")
        return pd.DataFrame(
            {"open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5, "volume": -1.0}, index=index
        )


def _synthetic() -> SyntheticSource:
    return SyntheticSource(9, params=SyntheticParams(gap_probability=0.0))


def test_symbols_map_to_safe_directories(tmp_path: Path) -> None:
    store = ParquetBarStore(tmp_path)
    assert store.path_for("BTC/USDT:USDT", TF) == tmp_path / "BTC-USDT_USDT" / "1h.parquet"
    with pytest.raises(ValidationFailed, match="symbol"):
        store.path_for("../etc", TF)


def test_write_then_read_round_trips_and_records_coverage(
    tmp_path: Path, make_bars: MakeBars
) -> None:
    store = ParquetBarStore(tmp_path)
    frame = BarFrame(SYMBOL, TF, make_bars(10))
    assert store.write(SYMBOL, TF, frame) == 10
    pd.testing.assert_frame_equal(store.read(SYMBOL, TF).df, frame.df, check_freq=False)
    assert store.coverage(SYMBOL, TF) == [(START, START + timedelta(hours=10))]
    window = store.read(SYMBOL, TF, START + timedelta(hours=2), START + timedelta(hours=4))
    assert len(window) == 2


def test_write_merges_and_newer_bars_win(tmp_path: Path, make_bars: MakeBars) -> None:
    store = ParquetBarStore(tmp_path)
    store.write(SYMBOL, TF, BarFrame(SYMBOL, TF, make_bars(10)))
    newer = make_bars(10, TF, START + timedelta(hours=5), price=500.0)
    store.write(SYMBOL, TF, BarFrame(SYMBOL, TF, newer))
    stored = store.read(SYMBOL, TF).df
    assert len(stored) == 15
    assert stored["open"].iloc[4] == 104.0
    assert stored["open"].iloc[5] == 500.0
    assert store.coverage(SYMBOL, TF) == [(START, START + timedelta(hours=15))]


def test_missing_ranges_are_the_grid_aligned_uncovered_parts(
    tmp_path: Path, make_bars: MakeBars
) -> None:
    store = ParquetBarStore(tmp_path)
    frame = BarFrame(SYMBOL, TF, make_bars(4, TF, START + timedelta(hours=2)))
    store.write(
        SYMBOL, TF, frame, covered=[(START + timedelta(hours=2), START + timedelta(hours=8))]
    )
    since, until = START + timedelta(minutes=30), START + timedelta(hours=9, minutes=1)
    assert store.missing_ranges(SYMBOL, TF, since, until) == [
        (START, START + timedelta(hours=2)),
        (START + timedelta(hours=8), START + timedelta(hours=10)),
    ]


def test_write_refuses_bars_outside_the_declared_coverage_and_foreign_frames(
    tmp_path: Path, make_bars: MakeBars
) -> None:
    store = ParquetBarStore(tmp_path)
    frame = BarFrame(SYMBOL, TF, make_bars(4))
    with pytest.raises(ValidationFailed, match="covered: must contain every bar"):
        store.write(SYMBOL, TF, frame, covered=[(START, START + timedelta(hours=2))])
    with pytest.raises(ValidationFailed, match="must hold ETH/USDT 1h bars"):
        store.write("ETH/USDT", TF, frame)
    assert not any(tmp_path.rglob("*.parquet"))


def test_a_failed_write_leaves_the_old_file_and_no_temp_files(
    tmp_path: Path, make_bars: MakeBars, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ParquetBarStore(tmp_path)
    store.write(SYMBOL, TF, BarFrame(SYMBOL, TF, make_bars(3)))
    path = store.path_for(SYMBOL, TF)
    before = path.read_bytes()

    def explode(self: pd.DataFrame, *args: object, **kwargs: object) -> None:
        Path(str(args[0])).write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", explode)
    with pytest.raises(OSError, match="disk full"):
        store.write(SYMBOL, TF, BarFrame(SYMBOL, TF, make_bars(6)))
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["1h.lock", "1h.parquet"]


def test_a_second_identical_request_makes_no_upstream_call(tmp_path: Path) -> None:
    upstream = CountingSource(_synthetic())
    clock = ReplayClock(START + timedelta(days=30))
    source = StoreBackedSource(ParquetBarStore(tmp_path), upstream, policy=None, clock=clock)
    since, until = START, START + timedelta(days=2)
    first = source.fetch_raw(SYMBOL, TF, since, until)
    second = source.fetch_raw(SYMBOL, TF, since, until)
    assert upstream.calls == [(since, until)]
    pd.testing.assert_frame_equal(first, second)
    direct = _synthetic().fetch_raw(SYMBOL, TF, since, until)
    pd.testing.assert_frame_equal(first, direct, check_freq=False)


def test_an_extended_range_fetches_only_the_new_head_and_tail(tmp_path: Path) -> None:
    upstream = CountingSource(_synthetic())
    clock = ReplayClock(START + timedelta(days=30))
    source = StoreBackedSource(ParquetBarStore(tmp_path), upstream, policy=None, clock=clock)
    day = timedelta(days=1)
    source.fetch_raw(SYMBOL, TF, START + day, START + 2 * day)
    upstream.calls.clear()
    out = source.fetch_raw(SYMBOL, TF, START, START + 4 * day)
    assert upstream.calls == [(START, START + day), (START + 2 * day, START + 4 * day)]
    assert len(out) == 96


def test_only_closed_bars_are_stored_and_the_open_tail_is_fetched_later(tmp_path: Path) -> None:
    upstream = CountingSource(_synthetic())
    clock = ReplayClock(START + timedelta(hours=5, minutes=30))
    store = ParquetBarStore(tmp_path)
    source = StoreBackedSource(store, upstream, policy=None, clock=clock)
    out = source.fetch_raw(SYMBOL, TF, START, START + timedelta(hours=8))
    assert len(out) == 5
    assert store.coverage(SYMBOL, TF) == [(START, START + timedelta(hours=5))]
    clock.advance(timedelta(hours=1))
    source.fetch_raw(SYMBOL, TF, START, START + timedelta(hours=8))
    assert upstream.calls[-1] == (START + timedelta(hours=5), START + timedelta(hours=6))


def test_a_bad_upstream_range_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    store = ParquetBarStore(tmp_path)
    source = StoreBackedSource(
        store, BrokenSource(), policy=None, clock=ReplayClock(START + timedelta(days=3))
    )
    with pytest.raises(DataQualityError, match="negative_volume"):
        source.fetch_raw(SYMBOL, TF, START, START + timedelta(days=1))
    assert not any(tmp_path.rglob("*.parquet"))


def test_the_read_only_store_names_the_missing_ranges(tmp_path: Path, make_bars: MakeBars) -> None:
    store = ParquetBarStore(tmp_path)
    store.write(SYMBOL, TF, BarFrame(SYMBOL, TF, make_bars(10)))
    source = StoreSource(store, clock=ReplayClock(START + timedelta(days=30)))
    assert len(source.fetch_raw(SYMBOL, TF, START, START + timedelta(hours=10))) == 10
    with pytest.raises(DataQualityError) as caught:
        source.fetch_raw(SYMBOL, TF, START, START + timedelta(hours=12))
    assert "[2024-01-01T10:00:00+00:00, 2024-01-01T12:00:00+00:00)" in str(caught.value)


def test_last_open_is_the_newest_stored_bar(tmp_path: Path, make_bars: MakeBars) -> None:
    store = ParquetBarStore(tmp_path)
    assert store.last_open(SYMBOL, TF) is None
    store.write(SYMBOL, TF, BarFrame(SYMBOL, TF, make_bars(10)))
    source = StoreSource(store, clock=ReplayClock(START))
    assert source.last_open(SYMBOL, TF) == START + timedelta(hours=9)
