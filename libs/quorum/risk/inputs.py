"""What the risk gate is told about the account and the market: frozen values, no I/O."""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from typing import Annotated, NamedTuple, Self

from pydantic import AfterValidator, Field, field_validator, model_validator

from quorum.domain import (
    Confidence,
    Direction,
    DomainModel,
    Leverage,
    Money,
    NonNegativeDecimal,
    Position,
    PositionState,
    PositiveMoney,
    Price,
    Quantity,
    Symbol,
    UtcDatetime,
)
from quorum.domain.base import CachedModel
from quorum.domain.bounds import within
from quorum.risk.money import ZERO, show

Rate = Annotated[Decimal, Field(ge=0, lt=Decimal("0.1"), allow_inf_nan=False)]
Correlation = Annotated[float, Field(ge=-1.0, le=1.0, allow_inf_nan=False)]


class Exposure(DomainModel):
    """One open (or working) position as the portfolio checks see it."""

    symbol: Symbol
    direction: Direction
    notional: NonNegativeDecimal
    """Absolute notional at the current mark, in the quote currency."""
    risk: NonNegativeDecimal = Decimal(0)
    """Loss if the protective stop fills (including the slippage buffer and fees)."""
    unrealized_pnl: Money = Decimal(0)


class TradeStats(DomainModel):
    """A strategy's closed-trade statistics, the input of the Kelly cap."""

    trades: int = Field(ge=0)
    win_rate: Confidence
    payoff_ratio: Annotated[
        Decimal,
        Field(gt=0, allow_inf_nan=False),
        AfterValidator(within(Decimal("1e-6"), Decimal("1e6"))),
    ]
    """Average win divided by average loss."""


class Portfolio(DomainModel):
    """Equity, margin and open exposures at the moment of the decision.

    The risk gate works from :func:`quorum.risk.prepare_portfolio`'s
    :class:`~quorum.risk.PreparedPortfolio` of it; the properties here compute their
    totals afresh on every access."""

    equity: PositiveMoney
    margin_available: NonNegativeDecimal
    exposures: tuple[Exposure, ...] = ()
    strategy_stats: dict[str, TradeStats] = Field(default_factory=dict)

    def aggregates(self) -> PortfolioTotals:
        """Total notional, total floating P&L and per-symbol sides, in one pass."""
        return aggregate(self.exposures)

    @property
    def total_notional(self) -> Decimal:
        return self.aggregates().notional

    @property
    def total_unrealized(self) -> Decimal:
        return self.aggregates().unrealized

    @property
    def by_symbol(self) -> dict[str, tuple[Decimal, Decimal]]:
        """``symbol -> (notional, risk)`` summed over exposures in that symbol."""
        return {s: v.totals() for s, v in self.aggregates().sides.items()}


class SideTotals(NamedTuple):
    """One symbol's open exposure by side."""

    long_notional: Decimal
    long_risk: Decimal
    short_notional: Decimal
    short_risk: Decimal

    def totals(self) -> tuple[Decimal, Decimal]:
        """``(notional, risk)`` over both sides."""
        return self.long_notional + self.short_notional, self.long_risk + self.short_risk


class PortfolioTotals(NamedTuple):
    """A portfolio's aggregates (see :func:`aggregate`)."""

    notional: Decimal
    unrealized: Decimal
    sides: dict[str, SideTotals]


def aggregate(exposures: tuple[Exposure, ...]) -> PortfolioTotals:
    """Total notional, total floating P&L and per-symbol sides, in one pass over the
    exposures (each sum runs in exposure order from zero)."""
    sides: dict[str, SideTotals] = {}
    notional = unrealized = ZERO
    empty = SideTotals(ZERO, ZERO, ZERO, ZERO)
    for e in exposures:
        notional += e.notional
        unrealized += e.unrealized_pnl
        ln, lr, sn, sr = sides.get(e.symbol, empty)
        if e.direction is Direction.LONG:
            sides[e.symbol] = SideTotals(ln + e.notional, lr + e.risk, sn, sr)
        else:
            sides[e.symbol] = SideTotals(ln, lr, sn + e.notional, sr + e.risk)
    return PortfolioTotals(notional, unrealized, sides)


class MarketInfo(CachedModel):
    """The traded market's precision, limits, costs and correlations at decision time."""

    symbol: Symbol
    amount_step: Quantity
    price_tick: Price
    min_amount: NonNegativeDecimal = Decimal(0)
    min_notional: NonNegativeDecimal = Decimal(0)
    maker_fee: Rate = Decimal("0.001")
    taker_fee: Rate = Decimal("0.001")
    reference_price: Price
    """Last traded (or mark) price, the anchor of the price collar."""
    atr: Price | None = None
    slippage: Rate = Decimal(0)
    """Estimated slippage as a fraction of price, paid on market fills."""
    correlations: dict[str, Correlation] = Field(default_factory=dict)
    """Return correlation of this symbol with each open symbol."""
    max_order_quantity: Quantity | None = None
    max_order_notional: Price | None = None
    maintenance_margin_rate: Rate = Decimal("0.005")

    @cached_property
    def ranked_correlations(self) -> tuple[tuple[float, str, float], ...]:
        """``(|corr|, symbol, corr)`` strongest first, so a limit scan stops early."""
        return tuple(sorted(((abs(c), s, c) for s, c in self.correlations.items()), reverse=True))

    @cached_property
    def min_amount_limit(self) -> str:
        """The minimum-amount check's limit text, formatted once."""
        return f">= {show(self.min_amount)}"

    @cached_property
    def min_notional_limit(self) -> str:
        """The minimum-notional check's limit text, formatted once."""
        return f">= {show(self.min_notional)}"


class MonitoredPosition(CachedModel):
    """An open position with what the monitor needs beyond the domain ``Position``."""

    position: Position
    current_stop: Price | None = None
    """The working protective stop when it has moved (breakeven / trailing) past what
    ``Position.stop_loss`` may hold; defaults to ``position.stop_loss``."""
    initial_stop: Price | None = None
    """The stop at entry, defining 1 R; defaults to the current stop."""
    atr: Price | None = None
    best_price: Price | None = None
    """Most favourable price since entry (highest for a long, lowest for a short)."""
    leverage: Leverage = Decimal(1)
    maintenance_margin_rate: Decimal = Field(default=Decimal("0.005"), ge=0, lt=1)
    price_tick: Price | None = None
    stop_order_active: bool = True
    """False when no protective stop order is working at the venue."""
    unprotected_since: UtcDatetime | None = None

    @field_validator("position")
    @classmethod
    def _open(cls, position: Position) -> Position:
        if position.state not in (PositionState.ACTIVE, PositionState.EXITING):
            raise ValueError(f"position: must be active or exiting (got {position.state})")
        return position

    @model_validator(mode="after")
    def _r_defined(self) -> Self:
        entry = self.position.average_entry
        assert entry is not None  # guaranteed for active / exiting positions
        stop = self.initial_stop if self.initial_stop is not None else self.position.stop_loss
        if stop == entry:
            raise ValueError("initial_stop: must differ from the entry price (1 R would be 0)")
        return self

    @cached_property
    def entry(self) -> Decimal:
        entry = self.position.average_entry
        assert entry is not None
        return entry

    @cached_property
    def stop(self) -> Decimal:
        return self.current_stop if self.current_stop is not None else self.position.stop_loss

    @cached_property
    def one_r(self) -> Decimal:
        """Price distance of one R (initial risk per unit)."""
        stop = self.initial_stop if self.initial_stop is not None else self.position.stop_loss
        return abs(self.entry - stop)

    @cached_property
    def collateral(self) -> Decimal | None:
        """Isolated margin posted for a leveraged position (``None`` unleveraged)."""
        if self.leverage <= 1:
            return None
        return self.entry * self.position.quantity / self.leverage


class AccountSnapshot(DomainModel):
    """Account equity seen by the monitor (for drawdown and floating-loss limits)."""

    equity: PositiveMoney
