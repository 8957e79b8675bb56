"""Risk settings: every limit of the gate, with its default, validated and frozen.

One frozen, strict model per concern, composed into :class:`RiskSettings`. Money
fractions are ``Decimal``; correlations and confidences are ``float``. Defined with the
configuration (imports only the domain) and re-exported by :mod:`quorum.risk.settings`.
"""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, model_validator

from quorum.domain.base import MAX_STOP_FRACTION, MIN_STOP_FRACTION, CachedModel, DomainModel
from quorum.domain.bounds import MAX_MONEY, MIN_PRICE, within
from quorum.domain.formatting import pct, show
from quorum.domain.orders import Liquidity
from quorum.domain.sessions import TradingSession, zone


class BreachAction(StrEnum):
    """What an account rule does when it is breached.

    Every breach rejects new entries while it lasts; the stronger actions also close.
    """

    REJECT_ENTRIES = "reject_entries"
    CLOSE_POSITION = "close_position"
    CLOSE_ALL = "close_all"
    CLOSE_ALL_AND_LOCK = "close_all_and_lock"

    @property
    def closes_all(self) -> bool:
        return self in (BreachAction.CLOSE_ALL, BreachAction.CLOSE_ALL_AND_LOCK)

    @property
    def locks(self) -> bool:
        return self is BreachAction.CLOSE_ALL_AND_LOCK


Fraction = Annotated[Decimal, Field(gt=0, le=1, allow_inf_nan=False)]
"""A share in (0, 1]: 0.02 is 2 %."""

FeeRate = Annotated[Decimal, Field(ge=0, lt=Decimal("0.1"), allow_inf_nan=False)]
"""A rate in [0, 10 %): fees, slippage, buffers."""

Positive = Annotated[
    Decimal, Field(gt=0, allow_inf_nan=False), AfterValidator(within(MIN_PRICE, MAX_MONEY))
]
"""A strictly positive amount or multiple, within [1e-12, 1e18]."""
PositiveDuration = Annotated[timedelta, Field(gt=timedelta(0))]


class SizingSettings(CachedModel):
    """Risk per trade scaled by confidence, with an optional fractional-Kelly cap."""

    min_risk_fraction: Fraction = Decimal("0.0025")
    max_risk_fraction: Fraction = Decimal("0.02")
    confidence_at_min: float = Field(default=0.5, ge=0.0, le=1.0)
    confidence_at_max: float = Field(default=0.9, ge=0.0, le=1.0)
    kelly_fraction: Fraction = Decimal("0.25")
    kelly_max_fraction: Fraction = Decimal("0.10")
    kelly_min_trades: int = Field(default=30, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min_risk_fraction > self.max_risk_fraction:
            raise ValueError(
                f"min_risk_fraction: must be <= max_risk_fraction "
                f"({self.min_risk_fraction} > {self.max_risk_fraction})"
            )
        if self.confidence_at_min >= self.confidence_at_max:
            raise ValueError(
                f"confidence_at_min: must be < confidence_at_max "
                f"({self.confidence_at_min} >= {self.confidence_at_max})"
            )
        return self

    @cached_property
    def confidence_band(self) -> tuple[Decimal, Decimal]:
        """``(confidence_at_min, confidence_at_max)`` as Decimals."""
        return Decimal(repr(self.confidence_at_min)), Decimal(repr(self.confidence_at_max))

    @cached_property
    def risk_budget_limit(self) -> str:
        """The risk-budget check's limit text, formatted once."""
        return f"[{pct(self.min_risk_fraction)}, {pct(self.max_risk_fraction)}]"


class StopSettings(CachedModel):
    """Stop sanity: distance band, take-profit, reward:risk and the stop-slippage buffer."""

    min_stop_fraction: Fraction = MIN_STOP_FRACTION
    max_stop_fraction: Fraction = MAX_STOP_FRACTION
    require_take_profit: bool = True
    min_reward_risk: Positive = Decimal("1.5")
    stop_slippage_buffer: FeeRate = Decimal("0.002")

    @model_validator(mode="after")
    def _band(self) -> Self:
        if self.min_stop_fraction >= self.max_stop_fraction:
            raise ValueError(
                f"min_stop_fraction: must be < max_stop_fraction "
                f"({self.min_stop_fraction} >= {self.max_stop_fraction})"
            )
        return self

    @cached_property
    def reward_risk_limit(self) -> str:
        """The reward:risk check's limit text, formatted once."""
        return f">= {show(self.min_reward_risk)}"

    @cached_property
    def stop_distance_limit(self) -> str:
        """The stop-distance check's limit text, formatted once."""
        return f"[{pct(self.min_stop_fraction)}, {pct(self.max_stop_fraction)}]"


class ExpectancySettings(CachedModel):
    """Which side of the fee schedule each leg pays, and the minimum net edge."""

    entry_liquidity: Liquidity = Liquidity.TAKER
    take_profit_liquidity: Liquidity = Liquidity.MAKER
    min_expected_value_r: Decimal = Field(default=Decimal(0), ge=0, allow_inf_nan=False)
    """Net expected value per unit, in R (stop distances), must be strictly above this."""

    @cached_property
    def expected_value_limit(self) -> str:
        """The expected-value check's limit text, formatted once."""
        return f"> {show(self.min_expected_value_r)} R"


class PortfolioSettings(CachedModel):
    """Single-position share, total exposure, correlation bucket, leverage and margin."""

    max_position_risk_fraction: Fraction = Decimal("0.02")
    max_position_notional_fraction: Fraction = Decimal("0.20")
    max_total_exposure_fraction: Positive = Decimal("0.20")
    """Gross notional of all positions (open + new) as a share of equity."""
    correlation_limit: float = Field(default=0.7, gt=0.0, lt=1.0)
    unknown_correlation: float = Field(default=0.0, ge=-1.0, le=1.0)
    """Correlation assumed for an open symbol the market info has none for."""
    max_leverage: Decimal = Field(default=Decimal(3), ge=1, le=10, allow_inf_nan=False)
    margin_buffer: Decimal = Field(default=Decimal("1.1"), ge=1, allow_inf_nan=False)
    leverage: dict[Literal["swap", "future"], Annotated[Decimal, Field(ge=1, le=10)]] = Field(
        default_factory=dict
    )
    """The leverage a derivative market (``execution.markets[symbol].market_type``) is
    traded at, by market type (1 when not listed; spot is always 1). The signal carries it:
    the gate checks it against ``max_leverage`` and sizes the margin with it, and the
    monitor's liquidation guard watches the position's margin with it."""

    @cached_property
    def leverage_limit(self) -> str:
        """The leverage check's limit text, formatted once."""
        return f"{show(self.max_leverage)}x"

    @cached_property
    def margin_what(self) -> str:
        """What the margin cap measures, formatted once."""
        return f"margin required x {show(self.margin_buffer)}"


class VenueSettings(CachedModel):
    """Venue-style controls: order caps per symbol, price collar, throttle, duplicates."""

    max_order_quantity: dict[str, Positive] = Field(default_factory=dict)
    max_order_notional: dict[str, Positive] = Field(default_factory=dict)
    default_max_order_notional: Positive | None = None
    price_collar_fraction: Fraction = Decimal("0.05")
    max_orders_per_window: int = Field(default=10, ge=1)
    order_window: PositiveDuration = timedelta(seconds=60)
    duplicate_window: PositiveDuration = timedelta(days=1)

    @cached_property
    def duplicate_limit(self) -> str:
        """The duplicate-intent check's limit text, formatted once."""
        return f"once per {self.duplicate_window}"


class CooldownTier(DomainModel):
    """After a loss of at least ``min_loss_fraction`` of equity, pause entries for ``pause``."""

    min_loss_fraction: Decimal = Field(ge=0, le=1, allow_inf_nan=False)
    pause: PositiveDuration


def _default_tiers() -> tuple[CooldownTier, ...]:
    return (
        CooldownTier(min_loss_fraction=Decimal("0.0025"), pause=timedelta(minutes=30)),
        CooldownTier(min_loss_fraction=Decimal("0.01"), pause=timedelta(hours=2)),
        CooldownTier(min_loss_fraction=Decimal("0.02"), pause=timedelta(hours=24)),
    )


_ACCOUNT_WIDE = (
    BreachAction.REJECT_ENTRIES,
    BreachAction.CLOSE_ALL,
    BreachAction.CLOSE_ALL_AND_LOCK,
)


class AccountSettings(CachedModel):
    """Account rules with lockouts; ``None`` switches a limit off."""

    reset_time: time = time(0, 0)
    timezone: str = "UTC"
    daily_realized_loss_fraction: Fraction | None = Decimal("0.03")
    daily_realized_loss_action: BreachAction = BreachAction.CLOSE_ALL_AND_LOCK
    daily_unrealized_loss_fraction: Fraction | None = Decimal("0.03")
    daily_unrealized_loss_action: BreachAction = BreachAction.CLOSE_ALL
    position_unrealized_loss_fraction: Fraction | None = Decimal("0.015")
    position_unrealized_loss_action: BreachAction = BreachAction.CLOSE_POSITION
    profit_target_fraction: Fraction | None = None
    profit_target_action: BreachAction = BreachAction.REJECT_ENTRIES
    max_trades: int | None = Field(default=20, ge=1)
    trades_window: PositiveDuration = timedelta(days=1)
    cooldown_tiers: tuple[CooldownTier, ...] = Field(default_factory=_default_tiers)
    unprotected_grace: PositiveDuration = timedelta(seconds=60)
    sessions: dict[str, TradingSession] = Field(default_factory=dict)
    """Per-symbol trading windows; ``"*"`` applies to symbols without their own entry.
    A symbol with neither trades around the clock."""
    close_at_session_end: bool = False
    """Close a position whose symbol's session has ended (the first monitor pass outside
    its windows); off: positions are carried through closed sessions."""
    blocked_symbols: frozenset[str] = frozenset()

    @model_validator(mode="after")
    def _valid(self) -> Self:
        zone(self.timezone)
        if self.reset_time.tzinfo is not None:
            raise ValueError("reset_time: must be a local wall-clock time without tzinfo")
        for name in ("daily_realized_loss_action", "daily_unrealized_loss_action"):
            if getattr(self, name) not in _ACCOUNT_WIDE:
                raise ValueError(f"{name}: an account-wide rule cannot close a single position")
        if self.profit_target_action not in _ACCOUNT_WIDE:
            raise ValueError("profit_target_action: an account-wide rule cannot close one position")
        floors = [t.min_loss_fraction for t in self.cooldown_tiers]
        if floors != sorted(floors) or len(set(floors)) != len(floors):
            raise ValueError("cooldown_tiers: min_loss_fraction must be strictly increasing")
        return self

    @cached_property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    def session_for(self, symbol: str) -> TradingSession | None:
        return self.sessions.get(symbol) or self.sessions.get("*")


class DrawdownSettings(DomainModel):
    """SAFE_MODE trips: daily / monthly drawdown from the peak, or a loss streak."""

    daily_drawdown_fraction: Fraction = Decimal("0.08")
    monthly_drawdown_fraction: Fraction = Decimal("0.20")
    loss_streak_count: int = Field(default=3, ge=1)
    loss_streak_fraction: Fraction = Decimal("0.05")
    auto_reset: bool = True
    """Reset by schedule (daily causes at the next daily reset, monthly at the next month);
    when off, only an authorized manual command resets SAFE_MODE."""


class MonitorSettings(DomainModel):
    """Position management: ATR stops, breakeven, trailing, time exit, liquidation guard."""

    atr_stop_multiple: Positive = Decimal(2)
    breakeven_after_r: Positive = Decimal(1)
    breakeven_offset_fraction: Decimal = Field(default=Decimal(0), ge=0, lt=Decimal("0.01"))
    trail_after_r: Positive = Decimal(2)
    trail_atr_multiple: Positive = Decimal(2)
    max_holding: PositiveDuration | None = None
    margin_alert_usage: Fraction = Decimal("0.8")
    margin_reduce_usage: Fraction = Decimal("0.9")
    reduce_fraction: Fraction = Decimal("0.5")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.margin_alert_usage > self.margin_reduce_usage:
            raise ValueError("margin_alert_usage: must be <= margin_reduce_usage")
        if self.breakeven_after_r > self.trail_after_r:
            raise ValueError("breakeven_after_r: must be <= trail_after_r")
        return self


class RiskSettings(DomainModel):
    """All risk limits. Build it in the composition root; nothing creates one at import."""

    sizing: SizingSettings = Field(default_factory=SizingSettings)
    stops: StopSettings = Field(default_factory=StopSettings)
    expectancy: ExpectancySettings = Field(default_factory=ExpectancySettings)
    portfolio: PortfolioSettings = Field(default_factory=PortfolioSettings)
    venue: VenueSettings = Field(default_factory=VenueSettings)
    account: AccountSettings = Field(default_factory=AccountSettings)
    drawdown: DrawdownSettings = Field(default_factory=DrawdownSettings)
    monitor: MonitorSettings = Field(default_factory=MonitorSettings)
