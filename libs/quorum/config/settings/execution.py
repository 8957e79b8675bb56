"""Settings of the execution package (frozen, strict: unknown keys are refused).

Defined with the configuration and re-exported by :mod:`quorum.execution.settings`.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_TIMEFRAMES = ("1m", "5m", "15m", "1h", "4h", "1d")
"""The values of ``quorum.domain.Timeframe`` (settings do not import the domain)."""


def _default_intent_ages() -> dict[str, timedelta]:
    # A third of a 15m bar, a quarter of an hour bar, an eighth of a 4h bar, 2 h of a day:
    # long enough to ride out a short venue outage, short enough that the entry is still
    # the decision that was taken.
    return {
        "15m": timedelta(minutes=5),
        "1h": timedelta(minutes=15),
        "4h": timedelta(minutes=30),
        "1d": timedelta(hours=2),
    }


class MarketLimits(BaseModel):
    """What the pre-trade check knows of one market: its size limit and price collar."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: str
    max_quantity: Decimal | None = Field(default=None, gt=0, allow_inf_nan=False)
    reference_price: Decimal | None = Field(default=None, gt=0, allow_inf_nan=False)
    collar_fraction: Decimal = Field(default=Decimal("0.05"), gt=0, lt=1)
    market_type: Literal["spot", "swap", "future"] = "spot"
    """A derivative (``swap`` / ``future``) trades at ``risk.portfolio.leverage`` of its
    type; spot always at 1."""


class ExecutionSettings(BaseModel):
    """How orders are sent, resolved, reconciled and throttled."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: str = Field(default="execution", min_length=1, max_length=120)
    resolve_lookups: int = Field(default=3, ge=1, le=20)
    """Lookups by client id, spaced ``resolve_spacing_s`` apart, before "not found" counts."""
    resolve_spacing_s: float = Field(default=0.2, ge=0)
    clock_skew_s: float = Field(default=0.05, ge=0)
    """Added to the venue's receive window before a missing order may be resent."""
    lookup_lag_s: dict[str, float] = Field(default_factory=dict)
    """Per venue (broker name): how long after accepting an order its lookups may still
    miss it; overrides the capability table (:mod:`quorum.execution.venues`). "Not found"
    counts only from a lookup made this long after the request's deadline."""
    sign_allowance_s: float = Field(default=10.0, ge=0)
    """Where the adapter stamps the request itself while sending (not with our
    ``sent_at``), how long after ``sent_at`` it may still sign, while the sender is alive
    (its request timeout); the deadline of a ``submitting`` order includes it."""
    flatten_unexplained: bool = True
    """Reconciliation flattens venue exposure that no recorded fill explains (a
    duplicate) with a reduce-only exit through the exit risk gate; off: journal and
    alert only."""
    throttle_max_fills: int = Field(default=200, ge=1)
    throttle_window_s: float = Field(default=60.0, gt=0)
    reconcile_interval_s: float = Field(default=30.0, gt=0)
    reconcile_lookback_s: float = Field(default=3600.0, gt=0)
    """Venue trades are fetched from this long before the oldest working order or the
    newest recorded fill (whichever is earlier); everything when nothing is recorded."""
    hold_new_while_unknown: bool = True
    """No new order goes to a venue while another of its orders is unknown (resolve first)."""
    cancel_concurrency: int = Field(default=8, ge=1, le=64)
    markets: dict[str, MarketLimits] = Field(default_factory=dict)
    """Known markets; when empty, the symbol check is left to the venue."""
    max_intent_age: dict[str, timedelta] = Field(default_factory=_default_intent_ages)
    """An ENTRY order not yet at the venue is expired (never sent) once it is older than
    this, by the timeframe of the signal that stored it (seconds or ISO 8601 durations).
    A timeframe not listed gets the shortest age listed. Exits never expire."""
    entry_protection_bps: Decimal | None = Field(default=Decimal(50), gt=0, le=1000)
    """Entries go out as marketable LIMIT orders priced at the venue's last price plus this
    band in basis points against the order (buy: last·(1+band), sell: last·(1−band)): the
    fill never pays more than the band; beyond it the entry rests until it expires. None:
    MARKET entries without price protection (a comparison with a reference backtester
    that fills every entry at the next open)."""
    sweep_grace_s: float = Field(default=30.0, ge=0)
    """The sweep leaves a ``new`` order alone for this long after its last change (its own
    ``execute`` task is normally already queued)."""
    sweep_backoff_base_s: float = Field(default=5.0, gt=0)
    """Sweep re-submission n of one order waits ``d/2 + U(0, d/2)`` with
    ``d = min(sweep_backoff_max_s, base · 2^(n-1))`` (equal jitter)."""
    sweep_backoff_max_s: float = Field(default=300.0, gt=0)
    sweep_batch: int = Field(default=500, ge=1, le=100_000)
    """At most this many pending orders are looked at per sweep (oldest first)."""

    @field_validator("lookup_lag_s")
    @classmethod
    def _lags(cls, value: dict[str, float]) -> dict[str, float]:
        for venue, lag in value.items():
            if lag < 0:
                raise ValueError(f"lookup_lag_s.{venue}: {lag} must be >= 0 (seconds)")
        return value

    @field_validator("max_intent_age")
    @classmethod
    def _ages(cls, value: dict[str, timedelta]) -> dict[str, timedelta]:
        if not value:
            raise ValueError("max_intent_age: at least one timeframe is needed")
        for timeframe, age in value.items():
            if timeframe not in _TIMEFRAMES:
                raise ValueError(
                    f"max_intent_age.{timeframe}: unknown timeframe "
                    f"(expected one of {', '.join(_TIMEFRAMES)})"
                )
            if age <= timedelta(0):
                raise ValueError(f"max_intent_age.{timeframe}: {age} must be positive")
        return value

    def intent_age_limit(self, timeframe: str | None) -> timedelta:
        """The age after which an entry of ``timeframe`` is expired instead of sent."""
        if timeframe is not None and timeframe in self.max_intent_age:
            return self.max_intent_age[timeframe]
        return min(self.max_intent_age.values())
