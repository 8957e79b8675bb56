"""Settings of the execution package (frozen, strict: unknown keys are refused).

Defined with the configuration and re-exported by :mod:`quorum.execution.settings`.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class MarketLimits(BaseModel):
    """What the pre-trade check knows of one market: its size limit and price collar."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: str
    max_quantity: Decimal | None = Field(default=None, gt=0, allow_inf_nan=False)
    reference_price: Decimal | None = Field(default=None, gt=0, allow_inf_nan=False)
    collar_fraction: Decimal = Field(default=Decimal("0.05"), gt=0, lt=1)


class ExecutionSettings(BaseModel):
    """How orders are sent, resolved, reconciled and throttled."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: str = Field(default="execution", min_length=1, max_length=120)
    resolve_lookups: int = Field(default=3, ge=1, le=20)
    """Lookups by client id, spaced ``resolve_spacing_s`` apart, before "not found" counts."""
    resolve_spacing_s: float = Field(default=0.2, ge=0)
    clock_skew_s: float = Field(default=0.05, ge=0)
    """Added to the venue's receive window before a missing order may be resent."""
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
