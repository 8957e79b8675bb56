"""Instruments, sides, bars, quotes and the validated bar frame."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Self

from pydantic import AfterValidator, model_validator

from quorum.domain.base import DomainModel, NonNegativeDecimal, Price, UtcDatetime
from quorum.domain.timeframe import Timeframe
from quorum.errors import DataQualityError

if TYPE_CHECKING:
    import pandas as pd

# numpy and pandas are imported where they are used, so that the domain's values (and the
# settings models built on them) load without them.

_SYMBOL = re.compile(r"^[A-Z0-9]{1,20}/[A-Z0-9]{1,20}(:[A-Z0-9]{1,20})?$")


def _check_symbol(value: str) -> str:
    if not _SYMBOL.fullmatch(value):
        raise ValueError(
            "must be a ccxt unified symbol BASE/QUOTE (optionally BASE/QUOTE:SETTLE), "
            f"upper-case letters and digits, e.g. BTC/USDT; got {value!r}"
        )
    return value


Symbol = Annotated[str, AfterValidator(_check_symbol)]
"""A ccxt unified market symbol such as ``BTC/USDT`` or ``BTC/USDT:USDT``."""


def split_symbol(symbol: str) -> tuple[str, str]:
    """Return ``(base, quote)`` of a unified symbol."""
    base, rest = _check_symbol(symbol).split("/", 1)
    return base, rest.split(":", 1)[0]


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class Direction(StrEnum):
    LONG = "long"
    SHORT = "short"

    @property
    def entry_side(self) -> Side:
        return Side.BUY if self is Direction.LONG else Side.SELL

    @property
    def exit_side(self) -> Side:
        return self.entry_side.opposite


class Bar(DomainModel):
    """One OHLCV bar; ``ts`` is the bar's open time (UTC)."""

    symbol: Symbol
    timeframe: Timeframe
    ts: UtcDatetime
    open: Price
    high: Price
    low: Price
    close: Price
    volume: NonNegativeDecimal

    @model_validator(mode="after")
    def _ohlc_consistent(self) -> Self:
        if self.low > min(self.open, self.close):
            raise ValueError(
                f"low: must be <= open and close (low={self.low}, open={self.open}, "
                f"close={self.close})"
            )
        if self.high < max(self.open, self.close):
            raise ValueError(
                f"high: must be >= open and close (high={self.high}, open={self.open}, "
                f"close={self.close})"
            )
        if not self.timeframe.is_on_grid(self.ts):
            raise ValueError(f"ts: {self.ts.isoformat()} is not on the {self.timeframe} grid")
        return self

    @property
    def close_time(self) -> datetime:
        return self.timeframe.close_of(self.ts)


class Quote(DomainModel):
    """Best bid / ask / last at a moment, used by the monitor and price collars."""

    symbol: Symbol
    ts: UtcDatetime
    bid: Price
    ask: Price
    last: Price

    @model_validator(mode="after")
    def _not_crossed(self) -> Self:
        if self.bid > self.ask:
            raise ValueError(f"bid: must be <= ask (bid={self.bid}, ask={self.ask})")
        return self


BAR_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")


class BarFrame:
    """A validated, immutable-by-convention OHLCV frame for one symbol and timeframe.

    The index is a UTC ``DatetimeIndex`` of bar open times, strictly increasing,
    on the timeframe grid; columns are ``open high low close volume`` as float64
    (vectorised analysis is the one place floats are allowed). Construction
    refuses anything else with a :class:`DataQualityError` naming the row and
    the rule. Richer checks with repair policies live in ``quorum.market``.
    """

    __slots__ = ("_df", "symbol", "timeframe")

    def __init__(self, symbol: str, timeframe: Timeframe, df: pd.DataFrame) -> None:
        self.symbol = _check_symbol(symbol)
        self.timeframe = timeframe
        problem = first_bar_violation(df, timeframe)
        if problem is not None:
            row, rule = problem
            raise DataQualityError(f"{symbol} {timeframe} row {row}: {rule}")
        frame = df.loc[:, list(BAR_COLUMNS)].astype("float64")
        frame.index.name = "ts"
        self._df = frame

    @property
    def df(self) -> pd.DataFrame:
        """The bars (a copy-on-write view; do not mutate in place)."""
        return self._df

    def __len__(self) -> int:
        return len(self._df)

    def __repr__(self) -> str:
        span = f"{self._df.index[0]}..{self._df.index[-1]}" if len(self._df) else "empty"
        return f"BarFrame({self.symbol} {self.timeframe}, {len(self._df)} bars, {span})"

    @classmethod
    def _slice_of_valid(cls, parent: BarFrame, df: pd.DataFrame) -> BarFrame:
        """A contiguous slice of an already validated frame is valid: skip re-checking."""
        frame = cls.__new__(cls)
        frame.symbol = parent.symbol
        frame.timeframe = parent.timeframe
        frame._df = df
        return frame

    def closed_at(self, as_of: datetime) -> BarFrame:
        """Only the bars whose close is at or before ``as_of`` (no look-ahead)."""
        if as_of.tzinfo is None:
            raise ValueError(f"as_of: must be timezone-aware (got {as_of.isoformat()})")
        import pandas as pd  # lazy: see the note at the imports

        cutoff = pd.Timestamp(as_of) - pd.Timedelta(seconds=self.timeframe.seconds)
        end = int(self._df.index.searchsorted(cutoff, side="right"))
        return BarFrame._slice_of_valid(self, self._df.iloc[:end])

    def tail(self, bars: int) -> BarFrame:
        """The last ``bars`` bars."""
        if bars < 0:
            raise ValueError(f"bars: must be >= 0 (got {bars})")
        start = len(self._df) - min(bars, len(self._df))
        return BarFrame._slice_of_valid(self, self._df.iloc[start:])

    def bars(self) -> list[Bar]:
        """The rows as :class:`Bar` values (Decimal prices)."""
        from decimal import Decimal

        return [
            Bar(
                symbol=self.symbol,
                timeframe=self.timeframe,
                ts=ts.to_pydatetime(),
                open=Decimal(repr(row.open)),
                high=Decimal(repr(row.high)),
                low=Decimal(repr(row.low)),
                close=Decimal(repr(row.close)),
                volume=Decimal(repr(row.volume)),
            )
            for ts, row in zip(self._df.index, self._df.itertuples(index=False), strict=True)
        ]


def first_bar_violation(df: pd.DataFrame, timeframe: Timeframe) -> tuple[str, str] | None:
    """Return ``(row, rule)`` of the first hard invariant a bar frame breaks, else ``None``.

    Rules, in order: columns present; UTC DatetimeIndex; finite numbers;
    strictly increasing timestamps (no duplicates); on the timeframe grid;
    prices > 0; volume >= 0; low <= open, close <= high.
    """
    import numpy as np  # lazy: see the note at the imports
    import pandas as pd

    missing = [c for c in BAR_COLUMNS if c not in df.columns]
    if missing:
        return "header", f"missing columns {missing}; expected {list(BAR_COLUMNS)}"
    index = df.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        return "index", "must be a timezone-aware DatetimeIndex of bar open times"
    if str(index.tz) != "UTC":
        return "index", f"timestamps must be UTC (got {index.tz})"
    columns = []
    for name in BAR_COLUMNS:
        try:
            columns.append(df[name].to_numpy(dtype="float64", na_value=np.nan))
        except (TypeError, ValueError) as exc:
            return "header", f"column {name} must be numeric ({exc})"
    values = np.column_stack(columns)
    finite = np.isfinite(values)
    if not finite.all():
        i, j = np.argwhere(~finite)[0]
        return _row(index, i), f"{BAR_COLUMNS[j]} is NaN or infinite"
    stamps = index.as_unit("ns").to_numpy(dtype="datetime64[ns]").astype("int64")
    if len(index) > 1:
        steps = np.diff(stamps)
        bad = np.flatnonzero(steps <= 0)
        if bad.size:
            i = int(bad[0]) + 1
            kind = "duplicate timestamp" if steps[bad[0]] == 0 else "out of order"
            return _row(index, i), f"timestamps must be strictly increasing ({kind})"
    step_ns = timeframe.seconds * 1_000_000_000
    off_grid = np.flatnonzero(stamps % step_ns)
    if off_grid.size:
        return _row(index, int(off_grid[0])), f"timestamp not on the {timeframe} grid"
    o, h, low, c, v = (values[:, k] for k in range(5))
    checks = (
        ((o <= 0) | (h <= 0) | (low <= 0) | (c <= 0), "prices must be > 0"),
        (v < 0, "volume must be >= 0"),
        ((low > o) | (low > c), "low must be <= open and close"),
        ((h < o) | (h < c), "high must be >= open and close"),
    )
    for mask, rule in checks:
        hit = np.flatnonzero(mask)
        if hit.size:
            return _row(index, int(hit[0])), rule
    return None


def _row(index: pd.Index, i: int) -> str:
    return f"{i} ({index[i].isoformat()})"
