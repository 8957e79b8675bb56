"""Return and risk-adjusted-return metrics of an equity curve (pure functions).

* period returns: ``r_i = e_i / e_{i-1} - 1`` between consecutive equity points.
* ``total_return`` = ``final / initial - 1``.
* ``cagr`` = ``(final / initial) ** (1 / years) - 1``; ``None`` for a non-positive
  final equity or a zero-length span.
* ``sharpe`` = ``mean(r) / std(r, ddof=1) * sqrt(periods_per_year)`` (risk-free rate 0).
* ``sortino`` = ``mean(r) / downside_deviation * sqrt(periods_per_year)`` with
  ``downside_deviation = sqrt(mean(min(r, 0)²))`` over all periods (target 0).
* ``mar`` (Calmar over the whole run) = ``cagr / max_drawdown_fraction``.
* ``periods_per_year`` when not given: a 365.25-day year over the median spacing
  of the curve's timestamps.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

__all__ = [
    "SECONDS_PER_YEAR",
    "cagr",
    "infer_periods_per_year",
    "mar_ratio",
    "period_returns",
    "sharpe_ratio",
    "sortino_ratio",
    "total_return",
]

SECONDS_PER_YEAR = 365.25 * 86_400


def period_returns(equity: Sequence[Decimal]) -> list[float]:
    """Simple returns between consecutive points; a step from equity <= 0 is skipped."""
    return [float(cur / prev - 1) for prev, cur in itertools.pairwise(equity) if prev > 0]


def total_return(initial: Decimal, final: Decimal) -> float:
    return float(final / initial - 1)


def cagr(initial: Decimal, final: Decimal, years: float) -> float | None:
    if years <= 0 or initial <= 0 or final <= 0:
        return None
    growth = float(final / initial)
    try:
        return float(growth ** (1.0 / years) - 1.0)
    except OverflowError:
        return None


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def sharpe_ratio(returns: Sequence[float], periods_per_year: float) -> float | None:
    if len(returns) < 2:
        return None
    std = statistics.stdev(returns)
    if std == 0 or not math.isfinite(std):
        return None
    return _finite(statistics.fmean(returns) / std * math.sqrt(periods_per_year))


def sortino_ratio(returns: Sequence[float], periods_per_year: float) -> float | None:
    if len(returns) < 2:
        return None
    downside = math.sqrt(statistics.fmean([min(r, 0.0) ** 2 for r in returns]))
    if downside == 0 or not math.isfinite(downside):
        return None
    return _finite(statistics.fmean(returns) / downside * math.sqrt(periods_per_year))


def mar_ratio(cagr_value: float | None, max_drawdown_fraction: float) -> float | None:
    if cagr_value is None or max_drawdown_fraction <= 0:
        return None
    return _finite(cagr_value / max_drawdown_fraction)


def infer_periods_per_year(times: Sequence[datetime]) -> float | None:
    if len(times) < 2:
        return None
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    median = statistics.median(gaps)
    return SECONDS_PER_YEAR / median if median > 0 else None
