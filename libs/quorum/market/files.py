"""CSV and Parquet import of user bar data.

``read_bar_file`` turns a file into a *raw* bar frame (see
:mod:`quorum.market.source`): column names are matched case-insensitively
(a timestamp column named ``timestamp``, ``ts``, ``time``, ``date`` or
``datetime``; ``open high low close volume``), timestamps are ISO-8601 with a
UTC offset or epoch seconds / milliseconds (the unit is detected), and every
row keeps its position in the file: CSV line numbers count from 1 and include
the header line, Parquet rows count from 1. Quality rules are not applied here
(that is :func:`quorum.market.quality.check_bars`); what is refused here is what
cannot be read at all (an empty, header-only, binary or non-UTF-8 file too), each error
naming the file, the line or row, and the rule; with a timeframe given,
:func:`quorum.market.layout.conform_bars` checks the timestamps' spacing and convention.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from quorum.domain import BAR_COLUMNS, Timeframe
from quorum.errors import DataQualityError, ValidationFailed
from quorum.market.layout import TimestampConvention, conform_bars
from quorum.market.source import SOURCE_ROW, Floats, Ints, check_window, index_ns

__all__ = ["TIMESTAMP_COLUMNS", "FileSource", "infer_timeframe", "read_bar_file"]

TIMESTAMP_COLUMNS = ("timestamp", "ts", "time", "date", "datetime")
FileKind = Literal["csv", "parquet"]

_NA = {"", "nan", "na", "n/a", "null", "none"}
_NUMBER = re.compile(r"^[+-]?\d+(\.\d*)?$")
_HAS_OFFSET = re.compile(r"(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$")
_EARLIEST, _LATEST = pd.Timestamp("1970-01-01", tz="UTC"), pd.Timestamp("2200-01-01", tz="UTC")
# Largest magnitude per epoch unit; larger numbers are taken as the next finer unit.
_EPOCH_UNITS = ((1e11, "s"), (1e14, "ms"), (1e17, "us"), (float("inf"), "ns"))


def _kind_of(path: Path, kind: FileKind | None) -> FileKind:
    if kind is not None:
        return kind
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise DataQualityError(f"{path}: unsupported file type {suffix!r}; expected .csv or .parquet")


def read_bar_file(
    path: Path | str,
    symbol: str | None = None,
    timeframe: Timeframe | None = None,
    *,
    assume_utc: bool = False,
    kind: FileKind | None = None,
    timestamps: TimestampConvention = "open",
) -> pd.DataFrame:
    """Read a CSV or Parquet file of bars into a raw frame (quality unchecked, file order kept).

    ``symbol`` / ``timeframe`` select rows when the file has ``symbol`` /
    ``timeframe`` columns. Naive timestamps are refused unless ``assume_utc``. A file
    without bar rows is refused. With a ``timeframe``, :func:`~quorum.market.layout.
    conform_bars` checks the spacing and the ``timestamps`` convention (bar ``open`` or
    ``close``) and indexes the frame by bar open times.
    """
    path = Path(path)
    file_kind = _kind_of(path, kind)
    if not path.is_file():
        raise DataQualityError(f"{path}: file not found; expected a readable {file_kind} file")
    if file_kind == "csv":
        table, positions = _read_csv(path)
        label = "line"
    else:
        table, positions = _read_parquet(path)
        label = "row"

    def where(i: int) -> str:
        return f"{path} {label} {int(positions[i])}"

    columns = _map_columns(path, table)
    if table.empty:
        raise DataQualityError(f"{path}: no bar rows after the header; expected at least one bar")
    table, positions = _select(path, table, positions, columns, symbol, timeframe)
    stamps = _timestamps(table[columns["ts"]], where, assume_utc)
    data = {name: _numbers(table[columns[name]], name, where) for name in BAR_COLUMNS}
    data[SOURCE_ROW] = np.asarray(positions, dtype="int64")
    frame = pd.DataFrame(data, index=stamps)
    frame.attrs["source"] = str(path)
    frame.attrs["row_kind"] = label
    return frame if timeframe is None else conform_bars(frame, timeframe, timestamps)


def _text_of(path: Path) -> str:
    """The file's text: refused when empty, binary or not UTF-8, naming where."""
    data = path.read_bytes()
    if not data:
        raise DataQualityError(
            f"{path}: empty file (0 bytes); expected a CSV header line and bar rows"
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        raise DataQualityError(
            f"{path}: binary content (a NUL byte at byte {nul}); expected a UTF-8 CSV text file"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataQualityError(
            f"{path} line {line}: byte 0x{data[exc.start]:02x} (at byte {exc.start}) is not "
            "UTF-8; expected a UTF-8 CSV file (re-save it as UTF-8)"
        ) from None


def _read_csv(path: Path) -> tuple[pd.DataFrame, Ints]:
    reader = csv.reader(io.StringIO(_text_of(path), newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise DataQualityError(f"{path} line 1: empty file; expected a header line")
        records: list[list[str]] = []
        lines: list[int] = []
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                raise DataQualityError(
                    f"{path} line {reader.line_num}: expected {len(header)} fields as in the "
                    f"header, got {len(record)}"
                )
            records.append(record)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise DataQualityError(
            f"{path} line {reader.line_num}: not readable as CSV ({exc}); expected a CSV file"
        ) from None
    table = pd.DataFrame(records, columns=[h.strip() for h in header], dtype="object")
    return table, np.asarray(lines, dtype="int64")


def _read_parquet(path: Path) -> tuple[pd.DataFrame, Ints]:
    try:
        table = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise DataQualityError(f"{path}: not a readable Parquet file ({exc})") from None
    names = {str(c).lower() for c in table.columns}
    if isinstance(table.index, pd.DatetimeIndex) and not names & set(TIMESTAMP_COLUMNS):
        table = table.reset_index(names="ts")
    table = table.reset_index(drop=True)
    return table, np.arange(1, len(table) + 1, dtype="int64")


def _map_columns(path: Path, table: pd.DataFrame) -> dict[str, str]:
    by_name: dict[str, str] = {}
    for column in table.columns:
        key = str(column).strip().lower()
        if key in by_name:
            raise DataQualityError(f"{path} header: column {key!r} appears twice")
        by_name[key] = str(column)
    stamp = [name for name in TIMESTAMP_COLUMNS if name in by_name]
    missing = [name for name in BAR_COLUMNS if name not in by_name]
    expected = f"expected one of {', '.join(TIMESTAMP_COLUMNS)} and {', '.join(BAR_COLUMNS)}"
    if not stamp or missing:
        absent = missing if stamp else ["timestamp", *missing]
        raise DataQualityError(f"{path} header: missing column(s) {absent}; {expected}")
    if len(stamp) > 1:
        raise DataQualityError(
            f"{path} header: several timestamp columns {stamp}; expected exactly one"
        )
    mapping = {name: by_name[name] for name in BAR_COLUMNS}
    mapping["ts"] = by_name[stamp[0]]
    for extra in ("symbol", "timeframe"):
        if extra in by_name:
            mapping[extra] = by_name[extra]
    return mapping


def _select(
    path: Path,
    table: pd.DataFrame,
    positions: Ints,
    columns: dict[str, str],
    symbol: str | None,
    timeframe: Timeframe | None,
) -> tuple[pd.DataFrame, Ints]:
    for field, wanted in (
        ("symbol", symbol),
        ("timeframe", None if timeframe is None else str(timeframe)),
    ):
        if field not in columns:
            continue
        values = table[columns[field]].astype(str).str.strip()
        present = sorted(set(values))
        if wanted is None:
            if len(present) > 1:
                raise DataQualityError(
                    f"{path} column {field}: the file holds several ({', '.join(present)}); "
                    f"expected one, or pass {field}"
                )
            continue
        keep = np.asarray(values == wanted)
        table, positions = table.loc[keep].reset_index(drop=True), positions[keep]
    return table, positions


def _numbers(values: pd.Series, name: str, where: Callable[[int], str]) -> Floats:
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype="float64", na_value=np.nan)
    parsed = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    text = values.astype(str).str.strip().str.lower()
    bad = np.flatnonzero(np.isnan(parsed) & ~np.asarray(text.isin(_NA)) & ~values.isna())
    if bad.size:
        i = int(bad[0])
        raise DataQualityError(f"{where(i)}: column {name}: {values.iloc[i]!r} is not a number")
    return parsed


def _timestamps(
    values: pd.Series, where: Callable[[int], str], assume_utc: bool
) -> pd.DatetimeIndex:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        stamps = pd.DatetimeIndex(values).tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        if not assume_utc:
            raise DataQualityError(
                f"{where(0)}: timestamps have no timezone; expected UTC timestamps "
                "(or pass assume_utc to read them as UTC)"
            )
        stamps = pd.DatetimeIndex(values).tz_localize("UTC")
    elif pd.api.types.is_numeric_dtype(values.dtype):
        stamps = _epoch(values.to_numpy(dtype="float64", na_value=np.nan), where)
    else:
        stamps = _text_stamps(values.astype(str).str.strip(), where, assume_utc)
    return pd.DatetimeIndex(stamps, name="ts").as_unit("ns")


def _text_stamps(
    text: pd.Series, where: Callable[[int], str], assume_utc: bool
) -> pd.DatetimeIndex:
    blank = np.asarray(text.str.lower().isin(_NA))
    numeric = np.asarray(text.str.fullmatch(_NUMBER.pattern))
    if numeric[~blank].all() and (~blank).any():
        values = pd.to_numeric(text.where(~blank), errors="coerce").to_numpy(dtype="float64")
        return _epoch(values, where)
    if numeric[~blank].any():
        i = int(np.flatnonzero(numeric & ~blank)[0])
        raise DataQualityError(
            f"{where(i)}: timestamp {text.iloc[i]!r} is a number while other rows are dates; "
            "expected one timestamp format per file"
        )
    naive = np.flatnonzero(~blank & ~np.asarray(text.str.contains(_HAS_OFFSET.pattern)))
    if naive.size and not assume_utc:
        i = int(naive[0])
        raise DataQualityError(
            f"{where(i)}: timestamp {text.iloc[i]!r} has no timezone; expected ISO-8601 with "
            "a UTC offset such as 2024-01-01T00:00:00Z (or pass assume_utc)"
        )
    parsed = pd.to_datetime(text.where(~blank), utc=True, format="ISO8601", errors="coerce")
    bad = np.flatnonzero(np.asarray(parsed.isna()) & ~blank)
    if bad.size:
        i = int(bad[0])
        raise DataQualityError(f"{where(i)}: {text.iloc[i]!r} is not an ISO-8601 timestamp")
    return pd.DatetimeIndex(parsed)


def _epoch(values: Floats, where: Callable[[int], str]) -> pd.DatetimeIndex:
    present = ~np.isnan(values)
    biggest = float(np.abs(values[present]).max()) if present.any() else 0.0
    unit = next(u for limit, u in _EPOCH_UNITS if biggest < limit)
    nanos_per_unit = {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0}[unit]
    nanos = values * nanos_per_unit
    outside = np.flatnonzero(present & ((nanos < _EARLIEST.value) | (nanos >= _LATEST.value)))
    if outside.size:
        i = int(outside[0])
        raise DataQualityError(
            f"{where(i)}: epoch timestamp {values[i]:.0f} read as {unit} is outside "
            f"{_EARLIEST.year}..{_LATEST.year}; expected epoch seconds or milliseconds"
        )
    stamps = pd.DatetimeIndex(np.where(present, nanos, 0).astype("int64"), tz="UTC")
    return pd.DatetimeIndex(stamps.where(present))


def infer_timeframe(raw: pd.DataFrame) -> Timeframe | None:
    """The timeframe whose step is the most common spacing of ``raw``'s timestamps, if any."""
    if not isinstance(raw.index, pd.DatetimeIndex):
        return None
    stamps = np.unique(index_ns(raw.index.dropna()))
    if stamps.size < 2:
        return None
    steps, counts = np.unique(np.diff(stamps), return_counts=True)
    by_seconds = {tf.seconds * 1_000_000_000: tf for tf in Timeframe}
    for i in np.argsort(-counts, kind="stable"):
        if int(steps[i]) in by_seconds:
            return by_seconds[int(steps[i])]
    return None


class FileSource:
    """A :class:`~quorum.market.source.RawBarSource` over one CSV or Parquet file.

    The file is read once and re-read when it changes on disk. ``timeframe`` /
    ``symbol`` say what the file holds; a request for anything else is refused.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        symbol: str | None = None,
        timeframe: Timeframe | None = None,
        assume_utc: bool = False,
        kind: FileKind | None = None,
        timestamps: TimestampConvention = "open",
    ) -> None:
        self.path = Path(path)
        self.timestamps: TimestampConvention = timestamps
        self.kind = _kind_of(self.path, kind)
        self.symbol = symbol
        self.timeframe = timeframe
        self.assume_utc = assume_utc
        self._cache: dict[tuple[str, str, int, int], pd.DataFrame] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FileSource({str(self.path)!r})"

    def fetch_raw(
        self, symbol: str, timeframe: Timeframe, since: datetime, until: datetime
    ) -> pd.DataFrame:
        since, until = check_window(since, until)
        if self.timeframe is not None and timeframe != self.timeframe:
            raise ValidationFailed(
                "timeframe", f"{self.path} holds {self.timeframe} bars", str(timeframe)
            )
        if self.symbol is not None and symbol != self.symbol:
            raise ValidationFailed("symbol", f"{self.path} holds {self.symbol}", symbol)
        raw = self._read(symbol, timeframe)
        index = raw.index
        inside = (index >= since) & (index < until)
        window: pd.DataFrame = raw.loc[np.asarray(inside) | np.asarray(index.isna())]
        window.attrs.update(raw.attrs)
        return window

    def last_open(self, symbol: str, timeframe: Timeframe) -> datetime | None:
        """Open time of the newest bar in the file for ``symbol`` (unchecked)."""
        stamps = self._read(symbol, timeframe).index.dropna()
        return None if stamps.empty else stamps.max().to_pydatetime()

    def _read(self, symbol: str, timeframe: Timeframe) -> pd.DataFrame:
        try:
            stat = self.path.stat()
        except OSError as exc:
            raise DataQualityError(f"{self.path}: cannot read ({exc.strerror})") from None
        key = (symbol, str(timeframe), stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        raw = read_bar_file(
            self.path,
            symbol,
            timeframe,
            assume_utc=self.assume_utc,
            kind=self.kind,
            timestamps=self.timestamps,
        )
        with self._lock:
            self._cache = {k: v for k, v in self._cache.items() if k[2:] == key[2:]}
            self._cache[key] = raw
        return raw
