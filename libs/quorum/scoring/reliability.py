"""Reliability of predicted win probabilities: Brier score and a calibration table.

``brier = mean((p − won)²)``. The table splits [0, 1] into ``bins`` equal-width bins
(``p = 1`` falls in the last) and lists every non-empty bin with its mean predicted
probability and observed win rate. ``expected_calibration_error`` is the count-weighted
mean of ``|observed − predicted|`` over those rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pydantic import Field

from quorum.domain import Confidence, DomainModel
from quorum.errors import ValidationFailed


class CalibrationRow(DomainModel):
    """One bin of the calibration table."""

    bin: int = Field(ge=0)
    lower: Confidence
    upper: Confidence
    mean_predicted: Confidence
    observed_win_rate: Confidence
    count: int = Field(ge=1)


class ReliabilityReport(DomainModel):
    """How well predicted probabilities matched outcomes (``brier`` is None without data)."""

    count: int = Field(ge=0)
    brier: float | None = Field(default=None, ge=0.0, le=1.0)
    expected_calibration_error: float | None = Field(default=None, ge=0.0, le=1.0)
    rows: tuple[CalibrationRow, ...] = ()


def reliability(
    probabilities: Sequence[float], wins: Sequence[bool], bins: int = 10
) -> ReliabilityReport:
    """Brier score and calibration table of ``probabilities`` against ``wins``."""
    if bins < 1:
        raise ValidationFailed("bins", "must be >= 1", bins)
    if len(probabilities) != len(wins):
        raise ValidationFailed(
            "wins", f"must have one entry per probability ({len(probabilities)})", len(wins)
        )
    if not probabilities:
        return ReliabilityReport(count=0)
    p = np.asarray(probabilities, dtype=np.float64)
    if not np.all(np.isfinite(p)) or np.any((p < 0.0) | (p > 1.0)):
        raise ValidationFailed("probabilities", "every probability must be finite and in [0, 1]")
    y = np.asarray(wins, dtype=np.float64)
    brier = float(np.mean((p - y) ** 2))
    index = np.minimum(np.floor(p * bins).astype(np.int64), bins - 1)
    rows: list[CalibrationRow] = []
    gap = 0.0
    for b in range(bins):
        mask = index == b
        count = int(mask.sum())
        if count == 0:
            continue
        predicted = float(p[mask].mean())
        observed = float(y[mask].mean())
        gap += count * abs(observed - predicted)
        rows.append(
            CalibrationRow(
                bin=b,
                lower=b / bins,
                upper=(b + 1) / bins,
                mean_predicted=min(1.0, max(0.0, predicted)),
                observed_win_rate=observed,
                count=count,
            )
        )
    ece = gap / len(p)
    return ReliabilityReport(
        count=len(p),
        brier=min(1.0, brier),
        expected_calibration_error=min(1.0, ece) if math.isfinite(ece) else None,
        rows=tuple(rows),
    )
