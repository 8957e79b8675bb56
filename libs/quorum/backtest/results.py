"""The input model of the backtest report: everything one run produced, as values.

The replay engine fills a :class:`BacktestResult`; :mod:`quorum.backtest.report`
turns it into metrics, ``report.json`` and ``report.html``. Nothing here computes a
metric: the model only holds what happened and refuses inconsistent input (a trade
that closes before it opens, an equity curve that goes back in time, more cache
hits than calls) with an error naming the field.

Money, prices and quantities are :class:`~decimal.Decimal`; every time is
timezone-aware UTC (naive datetimes are refused). Ratios and probabilities are floats.

Compatibility: fields are only ever added, with defaults, so a result built by an
older engine keeps validating. ``schema_version`` says which shape wrote a dump.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Annotated

from pydantic import Field, model_validator

from quorum.domain.base import (
    Confidence,
    DomainModel,
    Money,
    NonNegativeDecimal,
    Price,
    Quantity,
    UtcDatetime,
)
from quorum.domain.market import Direction
from quorum.domain.timeframe import Timeframe

__all__ = [
    "SCHEMA_VERSION",
    "BacktestResult",
    "DataQuality",
    "EquityPoint",
    "LeakageFlag",
    "LlmStats",
    "PriceSeries",
    "SignalOutcome",
    "Trade",
]

SCHEMA_VERSION = 1

Name = Annotated[str, Field(min_length=1, max_length=200)]
Count = Annotated[int, Field(ge=0)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


def _increasing(times: Sequence[object], field: str) -> None:
    for i in range(1, len(times)):
        if not times[i - 1] < times[i]:  # type: ignore[operator]
            raise ValueError(
                f"{field}[{i}]: times must be strictly increasing; "
                f"{times[i]} does not come after {times[i - 1]}"
            )


class Trade(DomainModel):
    """One closed round trip (entry and exit of one position).

    ``pnl`` is the net realized P&L in the quote currency: after ``fees`` and with
    slippage already inside ``entry_price`` / ``exit_price`` (the fill prices);
    ``slippage`` is the money that slippage cost, reported separately, not
    subtracted again. ``r_multiple`` is ``pnl`` over the initial risk (entry to
    initial stop × quantity); ``None`` when the trade had no stop.
    """

    symbol: Name
    direction: Direction
    entry_time: UtcDatetime
    exit_time: UtcDatetime
    entry_price: Price
    exit_price: Price
    quantity: Quantity
    fees: NonNegativeDecimal = Decimal(0)
    slippage: NonNegativeDecimal = Decimal(0)
    pnl: Money
    r_multiple: FiniteFloat | None = None
    patterns: tuple[Name, ...] = ()
    analysts: tuple[Name, ...] = ()
    models: tuple[Name, ...] = ()
    confidence: Confidence | None = None
    exit_reason: str | None = None

    @model_validator(mode="after")
    def _check_times(self) -> Trade:
        if self.exit_time < self.entry_time:
            raise ValueError(
                f"exit_time: {self.exit_time.isoformat()} is before "
                f"entry_time {self.entry_time.isoformat()}; a trade closes after it opens"
            )
        return self

    @property
    def holding_time(self) -> timedelta:
        return self.exit_time - self.entry_time

    @property
    def is_win(self) -> bool:
        return self.pnl > 0


class EquityPoint(DomainModel):
    """Account equity (cash + marked-to-market positions) at one time."""

    time: UtcDatetime
    equity: Money


class SignalOutcome(DomainModel):
    """A signal's calibrated probability of success and whether it came true."""

    time: UtcDatetime
    symbol: Name
    probability: Confidence
    outcome: bool


class LeakageFlag(DomainModel):
    """Whether a model's training data can overlap the backtest window.

    ``contaminated`` is the engine's verdict (normally ``training_cutoff >= window_start``);
    the report shows every contaminated model prominently.
    """

    model: Name
    training_cutoff: UtcDatetime
    window_start: UtcDatetime
    contaminated: bool


class LlmStats(DomainModel):
    calls: Count = 0
    cache_hits: Count = 0
    spend_usd: NonNegativeDecimal = Decimal(0)

    @model_validator(mode="after")
    def _check_hits(self) -> LlmStats:
        if self.cache_hits > self.calls:
            raise ValueError(
                f"cache_hits: {self.cache_hits} exceeds calls {self.calls}; "
                "a cache hit is counted as a call"
            )
        return self


class DataQuality(DomainModel):
    bars_processed: Count = 0
    gaps: Count = 0
    zero_volume_bars: Count = 0


class PriceSeries(DomainModel):
    """Close prices of one symbol on one timeframe (buy-and-hold leg and price plot)."""

    symbol: Name
    timeframe: Timeframe
    times: tuple[UtcDatetime, ...]
    closes: tuple[Price, ...]

    @model_validator(mode="after")
    def _check_shape(self) -> PriceSeries:
        if len(self.times) != len(self.closes):
            raise ValueError(
                f"closes: {len(self.closes)} values for {len(self.times)} times; "
                "one close per time expected"
            )
        _increasing(self.times, "times")
        return self


class BacktestResult(DomainModel):
    """Everything one backtest run produced; the report's only input."""

    schema_version: int = SCHEMA_VERSION
    run_id: Name
    mode: Name
    """What kind of run: e.g. ``backtest`` or ``walk-forward fold 2/5`` (engine-defined)."""
    llm_mode: Name = "offline"
    capital_mode: Name
    """How position size follows equity, e.g. ``compounding`` or ``fixed`` (engine-defined)."""
    symbols: tuple[Name, ...] = Field(min_length=1)
    timeframes: tuple[Timeframe, ...] = Field(min_length=1)
    start: UtcDatetime
    end: UtcDatetime
    seed: int
    config_hash: Name
    git_sha: str | None = None
    quote_currency: Name = "USD"
    initial_capital: Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
    periods_per_year: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    """Equity points per year for annualising; ``None`` infers it from the curve's spacing."""
    trades: tuple[Trade, ...] = ()
    open_positions_at_end: Count = 0
    """Positions still open when the run ended (not in ``trades``; 0 when the engine flattens)."""
    equity_curve: tuple[EquityPoint, ...] = ()
    signals: tuple[SignalOutcome, ...] = ()
    leakage: tuple[LeakageFlag, ...] = ()
    llm: LlmStats = LlmStats()
    data_quality: DataQuality = DataQuality()
    prices: tuple[PriceSeries, ...] = ()
    warnings: tuple[str, ...] = ()
    """Free-text notes the engine wants on the report (shown near the top)."""

    @model_validator(mode="after")
    def _check_consistency(self) -> BacktestResult:
        if self.end <= self.start:
            raise ValueError(
                f"end: {self.end.isoformat()} must be after start {self.start.isoformat()}"
            )
        _increasing([p.time for p in self.equity_curve], "equity_curve")
        for i, trade in enumerate(self.trades):
            if trade.symbol not in self.symbols:
                raise ValueError(
                    f"trades[{i}].symbol: {trade.symbol!r} is not one of symbols {self.symbols}"
                )
        return self

    @property
    def contaminated_models(self) -> tuple[LeakageFlag, ...]:
        return tuple(flag for flag in self.leakage if flag.contaminated)
