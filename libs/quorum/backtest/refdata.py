"""Real historical prices shipped inside installed packages, as a raw bar source.

Two public data sets are read at call time from the installed (development)
dependencies, never copied into this repository:

* ``bokeh_sampledata.stocks``: AAPL, IBM, MSFT, GOOG daily OHLCV 2000–2013 (public
  domain) as ``AAPL/USD`` … on ``1d``; dates are taken as 00:00 UTC bar opens.
* ``backtesting.test.EURUSD``: EUR/USD hourly OHLCV 2017–2018 bundled with
  backtesting.py, as ``EUR/USD`` on ``1h``; its naive timestamps are taken as UTC.

:class:`ReferenceSource` implements :class:`~quorum.market.RawBarSource` and
:class:`~quorum.market.BoundedSource`, so the market loader's quality gates and the
replay run over it like any other source. :func:`reference_frame` gives the same
bars in backtesting.py's shape (``Open High Low Close Volume``).
"""

from __future__ import annotations

import importlib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from quorum.domain import BAR_COLUMNS, Timeframe
from quorum.errors import ValidationFailed
from quorum.market.source import check_window

__all__ = [
    "REFERENCE_SETS",
    "ReferenceSource",
    "reference_frame",
    "reference_symbols",
    "write_reference_csv",
]

REFERENCE_SETS: dict[str, tuple[Timeframe, str]] = {
    "AAPL/USD": (Timeframe.D1, "bokeh_sampledata.stocks:AAPL"),
    "IBM/USD": (Timeframe.D1, "bokeh_sampledata.stocks:IBM"),
    "MSFT/USD": (Timeframe.D1, "bokeh_sampledata.stocks:MSFT"),
    "GOOG/USD": (Timeframe.D1, "bokeh_sampledata.stocks:GOOG"),
    "EUR/USD": (Timeframe.H1, "backtesting.test:EURUSD"),
}
"""symbol → (timeframe, ``module:attribute`` of the data set)."""


def reference_symbols() -> tuple[str, ...]:
    return tuple(REFERENCE_SETS)


def _load(spec: str) -> Any:
    module_name, attribute = spec.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValidationFailed(
            "symbol",
            f"needs the development dependency {module_name.split('.')[0]!r} "
            "(poetry install --with dev)",
            spec,
        ) from exc
    return getattr(module, attribute)


def _from_bokeh(data: dict[str, list[Any]]) -> pd.DataFrame:
    index = pd.DatetimeIndex(pd.to_datetime(data["date"], utc=True), name="ts").as_unit("ns")
    return pd.DataFrame(
        {name: pd.Series(data[name], index=index, dtype="float64") for name in BAR_COLUMNS}
    )


def _from_backtesting(data: pd.DataFrame) -> pd.DataFrame:
    index = pd.DatetimeIndex(data.index).tz_localize("UTC").as_unit("ns").rename("ts")
    columns = {name: data[name.capitalize()].to_numpy(dtype="float64") for name in BAR_COLUMNS}
    return pd.DataFrame(columns, index=index)


@cache
def _bars(symbol: str) -> pd.DataFrame:
    spec = REFERENCE_SETS[symbol][1]
    data = _load(spec)
    frame = _from_bokeh(data) if isinstance(data, dict) else _from_backtesting(data)
    frame.attrs.update(source=spec, row_kind="row")
    return frame


def _check(symbol: str, timeframe: Timeframe) -> None:
    if symbol not in REFERENCE_SETS:
        raise ValidationFailed("symbol", f"must be one of {', '.join(REFERENCE_SETS)}", symbol)
    held = REFERENCE_SETS[symbol][0]
    if timeframe is not held:
        raise ValidationFailed(
            "timeframe", f"{symbol} is held on {held.value} only", timeframe.value
        )


def reference_frame(symbol: str) -> pd.DataFrame:
    """The whole data set in backtesting.py's shape (UTC index, capitalised columns)."""
    _check(symbol, REFERENCE_SETS.get(symbol, (Timeframe.D1, ""))[0])
    frame = _bars(symbol).copy()
    frame.columns = [c.capitalize() for c in frame.columns]
    return frame


class ReferenceSource:
    """Raw bars of the in-package reference data sets (see the module docstring)."""

    def __repr__(self) -> str:
        return "ReferenceSource()"

    def fetch_raw(
        self, symbol: str, timeframe: Timeframe, since: datetime, until: datetime
    ) -> pd.DataFrame:
        since, until = check_window(since, until)
        _check(symbol, timeframe)
        bars = _bars(symbol)
        inside = (bars.index >= since) & (bars.index < until)
        out = bars.loc[inside].copy()
        out.attrs.update(bars.attrs)
        return out

    def last_open(self, symbol: str, timeframe: Timeframe) -> datetime | None:
        _check(symbol, timeframe)
        bars = _bars(symbol)
        return None if bars.empty else bars.index[-1].to_pydatetime()


def write_reference_csv(symbol: str, path: Path) -> Path:
    """Write ``symbol``'s data set as a bar CSV (ISO-8601 UTC ``timestamp``, OHLCV) for
    ``csv:PATH`` sources; the data stays in the installed package, this is a scratch copy."""
    _check(symbol, REFERENCE_SETS.get(symbol, (Timeframe.D1, ""))[0])
    bars = _bars(symbol)
    out = bars.copy()
    stamps = pd.DatetimeIndex(out.index).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    out.index = pd.Index(stamps, name="timestamp")
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, float_format="%.10g")
    return path
