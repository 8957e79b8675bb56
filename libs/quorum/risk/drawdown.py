"""Drawdown protection: when SAFE_MODE trips, and the gates it closes.

Daily drawdown is measured from the day's peak equity, monthly from the month's peak;
a loss streak is N consecutive losing trades or a cumulative streak loss beyond a share
of the equity at the streak's start. SAFE_MODE blocks every new entry; positions are
only managed toward exit.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final, NamedTuple

from quorum.domain import RuleCheck
from quorum.risk.money import ZERO, failed, passed, pct
from quorum.risk.rules import Rule
from quorum.risk.settings import DrawdownSettings
from quorum.risk.state import RulesState, SafeModeCause


class Breach(NamedTuple):
    """A tripped SAFE_MODE condition: why, the measured value and the limit."""

    cause: SafeModeCause
    rule: Rule
    measured: str
    limit: str
    reason: str


def drawdown(peak: Decimal, equity: Decimal) -> Decimal:
    """Fall from ``peak`` (the larger of peak and equity) as a share of it; >= 0."""
    top = max(peak, equity)
    return (top - equity) / top


def streak_fraction(state: RulesState) -> Decimal:
    if state.streak_start_equity is None:
        return ZERO
    return state.streak_loss / state.streak_start_equity


def drawdown_breach(
    state: RulesState, equity: Decimal, settings: DrawdownSettings
) -> Breach | None:
    """The first drawdown limit ``equity`` breaks (daily, then monthly), else ``None``."""
    daily = drawdown(state.day_peak_equity, equity)
    if daily > settings.daily_drawdown_fraction:
        limit = pct(settings.daily_drawdown_fraction)
        return Breach(
            SafeModeCause.DAILY_DRAWDOWN,
            Rule.DAILY_DRAWDOWN,
            pct(daily),
            limit,
            f"daily drawdown {pct(daily)} from the day's peak exceeds {limit}",
        )
    monthly = drawdown(state.month_peak_equity, equity)
    if monthly > settings.monthly_drawdown_fraction:
        limit = pct(settings.monthly_drawdown_fraction)
        return Breach(
            SafeModeCause.MONTHLY_DRAWDOWN,
            Rule.MONTHLY_DRAWDOWN,
            pct(monthly),
            limit,
            f"monthly drawdown {pct(monthly)} from the month's peak exceeds {limit}",
        )
    return None


def streak_breach(state: RulesState, settings: DrawdownSettings) -> Breach | None:
    """A loss streak that trips SAFE_MODE (count reached, or cumulative loss beyond)."""
    if state.loss_streak >= settings.loss_streak_count:
        return Breach(
            SafeModeCause.LOSS_STREAK,
            Rule.LOSS_STREAK,
            f"{state.loss_streak} losses",
            f"{settings.loss_streak_count} losses",
            f"{state.loss_streak} consecutive losing trades "
            f"(trips at {settings.loss_streak_count})",
        )
    cumulative = streak_fraction(state)
    if cumulative > settings.loss_streak_fraction:
        limit = pct(settings.loss_streak_fraction)
        return Breach(
            SafeModeCause.LOSS_STREAK,
            Rule.LOSS_STREAK,
            pct(cumulative),
            limit,
            f"losing streak cost {pct(cumulative)} of equity, beyond {limit}",
        )
    return None


SAFE_MODE_OFF: Final = passed(Rule.SAFE_MODE, "off", "off")
"""The passing SAFE_MODE check: a constant, built (and validated) once at import."""


def check_safe_mode(state: RulesState) -> RuleCheck:
    mode = state.safe_mode
    if mode is not None:
        return failed(
            Rule.SAFE_MODE,
            f"SAFE_MODE ({mode.cause})",
            "off",
            f"SAFE_MODE since {mode.tripped_at.isoformat()}: {mode.reason}; no new entries",
        )
    return SAFE_MODE_OFF


def check_drawdowns(
    state: RulesState, equity: Decimal, settings: DrawdownSettings
) -> tuple[RuleCheck, ...]:
    """Daily drawdown, monthly drawdown and loss streak, stopping at the first breach."""
    checks: list[RuleCheck] = []
    daily = drawdown(state.day_peak_equity, equity)
    limit = pct(settings.daily_drawdown_fraction)
    if daily > settings.daily_drawdown_fraction:
        reason = f"daily drawdown {pct(daily)} exceeds {limit}; SAFE_MODE"
        return (failed(Rule.DAILY_DRAWDOWN, pct(daily), limit, reason),)
    checks.append(passed(Rule.DAILY_DRAWDOWN, pct(daily), limit))
    monthly = drawdown(state.month_peak_equity, equity)
    limit = pct(settings.monthly_drawdown_fraction)
    if monthly > settings.monthly_drawdown_fraction:
        reason = f"monthly drawdown {pct(monthly)} exceeds {limit}; SAFE_MODE"
        checks.append(failed(Rule.MONTHLY_DRAWDOWN, pct(monthly), limit, reason))
        return tuple(checks)
    checks.append(passed(Rule.MONTHLY_DRAWDOWN, pct(monthly), limit))
    streak = streak_breach(state, settings)
    if streak is not None:
        checks.append(failed(Rule.LOSS_STREAK, streak.measured, streak.limit, streak.reason))
    else:
        checks.append(
            passed(
                Rule.LOSS_STREAK,
                f"{state.loss_streak} losses, {pct(streak_fraction(state))}",
                f"< {settings.loss_streak_count} losses, <= {pct(settings.loss_streak_fraction)}",
            )
        )
    return tuple(checks)
