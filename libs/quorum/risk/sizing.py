"""Position sizing: confidence-scaled risk per trade and the fractional-Kelly cap.

quantity = risk budget / worst-case loss per unit, where the risk budget is
``equity × risk fraction`` and the risk fraction moves linearly from the floor to the cap
as calibrated confidence moves from ``confidence_at_min`` to ``confidence_at_max``.
"""

from __future__ import annotations

from decimal import Decimal

from quorum.risk.inputs import TradeStats
from quorum.risk.money import ONE, ZERO, to_decimal
from quorum.risk.settings import SizingSettings


def risk_fraction(confidence: float, settings: SizingSettings) -> Decimal:
    """Share of equity to risk at ``confidence``: non-decreasing, within [floor, cap]."""
    low, high = settings.confidence_band
    c = to_decimal(confidence)
    if c <= low:
        return settings.min_risk_fraction
    if c >= high:
        return settings.max_risk_fraction
    weight = (c - low) / (high - low)
    span = settings.max_risk_fraction - settings.min_risk_fraction
    return settings.min_risk_fraction + span * weight


def kelly_fraction(stats: TradeStats) -> Decimal:
    """Full Kelly share of equity to risk: ``W - (1 - W) / R`` (may be <= 0: no edge)."""
    win = to_decimal(stats.win_rate)
    return win - (ONE - win) / stats.payoff_ratio


def kelly_cap(stats: TradeStats | None, settings: SizingSettings) -> Decimal | None:
    """The fractional-Kelly cap on the share of equity at risk, or ``None`` without enough data.

    ``kelly_fraction × f*`` clipped to ``[0, kelly_max_fraction]``; 0 means the statistics
    show no edge.
    """
    if stats is None or stats.trades < settings.kelly_min_trades:
        return None
    full = kelly_fraction(stats)
    if full <= 0:
        return ZERO
    return min(settings.kelly_fraction * full, settings.kelly_max_fraction)


def quantity_for_risk(budget: Decimal, loss_per_unit: Decimal) -> Decimal:
    """Units whose worst-case loss equals ``budget`` (unrounded)."""
    if budget <= 0:
        return ZERO
    return budget / loss_per_unit
