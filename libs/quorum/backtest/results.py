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
    "FittedState",
    "FoldMetrics",
    "LeakageFlag",
    "LlmSpend",
    "LlmStats",
    "PriceSeries",
    "SignalOutcome",
    "Trade",
    "TradeOpinion",
    "WalkForward",
    "WalkForwardFold",
]

SCHEMA_VERSION = 1

Name = Annotated[str, Field(min_length=1, max_length=200)]
Count = Annotated[int, Field(ge=0)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
Weight = Annotated[float, Field(ge=0, allow_inf_nan=False)]


def _increasing(times: Sequence[object], field: str) -> None:
    for i in range(1, len(times)):
        if not times[i - 1] < times[i]:  # type: ignore[operator]
            raise ValueError(
                f"{field}[{i}]: times must be strictly increasing; "
                f"{times[i]} does not come after {times[i - 1]}"
            )


class TradeOpinion(DomainModel):
    """One opinion the trade's score used: its model, role (the analyst), stance and
    confidence, and whether it called the trade right (None: neutral or no opinion)."""

    model: Name
    role: Name
    stance: str | None = None
    confidence: Confidence = 0.0
    right: bool | None = None


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
    opinions: tuple[TradeOpinion, ...] = ()

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


class LlmSpend(DomainModel):
    """The ledger's calls and spend of one (model, role) in the run."""

    model: Name
    role: Name
    calls: Count = 0
    spend_usd: NonNegativeDecimal = Decimal(0)


class LlmStats(DomainModel):
    """Ledger rows (one per provider call), cache hits and spend; ``trades`` and
    ``trade_spend_usd``: the trades an analysis opened and what that analysis' calls cost
    (joined through the signal id: :func:`quorum.llm.ledger.spend_per_outcome`)."""

    calls: Count = 0
    cache_hits: Count = 0
    spend_usd: NonNegativeDecimal = Decimal(0)
    by_model_role: tuple[LlmSpend, ...] = ()
    trades: Count = 0
    trade_spend_usd: NonNegativeDecimal = Decimal(0)

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


class FoldMetrics(DomainModel):
    """Out-of-sample numbers of one walk-forward fold's test part.

    ``max_drawdown_pct`` is in percent points of the peak; ``brier`` is over the signals
    with outcomes (None when there were none)."""

    trades: Count
    total_return: FiniteFloat
    sharpe: FiniteFloat | None = None
    max_drawdown: NonNegativeDecimal = Decimal(0)
    max_drawdown_pct: FiniteFloat = 0.0
    brier: FiniteFloat | None = None
    signals: Count = 0


class FittedState(DomainModel):
    """The scoring state one fold's train part fitted and its test part used, frozen:
    ``digest`` is the SHA-256 of the stored calibration, weights and (when learned) model
    accuracy payloads."""

    digest: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    calibration_method: Name
    calibration_samples: Count
    family_weights: dict[Name, Weight] = Field(default_factory=dict)
    analyst_weights: dict[Name, Weight] = Field(default_factory=dict)
    model_accuracy: dict[Name, Confidence] = Field(default_factory=dict)
    """Learned accuracy per model and ``model#role`` (empty below the minimum sample)."""


class WalkForwardFold(DomainModel):
    """One fold: fitted on ``[train_start, train_end)``, measured on ``[test_start, test_end)``."""

    index: Annotated[int, Field(ge=1)]
    train_start: UtcDatetime
    train_end: UtcDatetime
    test_start: UtcDatetime
    test_end: UtcDatetime
    train_run_id: Name
    test_run_id: Name
    train_trades: Count
    fitted: FittedState
    initial_capital: Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
    final_equity: Money
    test: FoldMetrics

    @model_validator(mode="after")
    def _check_windows(self) -> WalkForwardFold:
        if not self.train_start < self.train_end <= self.test_start < self.test_end:
            raise ValueError(
                f"fold {self.index}: expected train_start < train_end <= test_start < test_end "
                f"(got {self.train_start.isoformat()}, {self.train_end.isoformat()}, "
                f"{self.test_start.isoformat()}, {self.test_end.isoformat()})"
            )
        return self


class WalkForward(DomainModel):
    """Rolling train / test windows: lengths, step and every fold in time order."""

    train: timedelta
    test: timedelta
    step: timedelta
    folds: tuple[WalkForwardFold, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_folds(self) -> WalkForward:
        for i, fold in enumerate(self.folds):
            if fold.index != i + 1:
                raise ValueError(f"folds[{i}].index: expected {i + 1}, got {fold.index}")
            if i and fold.test_start < self.folds[i - 1].test_end:
                raise ValueError(
                    f"folds[{i}].test_start: {fold.test_start.isoformat()} overlaps the "
                    f"previous test window (ends {self.folds[i - 1].test_end.isoformat()})"
                )
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
    settings_hash: Name | None = None
    """SHA-256 of the agents / scoring / risk / llm settings the run used (the deployment's
    with the spec's overrides): two runs of one spec under different settings differ here."""
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
    walk_forward: WalkForward | None = None
    """Set on a walk-forward's stitched out-of-sample result: its folds (see below)."""

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
