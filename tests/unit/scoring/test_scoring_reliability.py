"""reliability: Brier score and calibration table on hand-computed cases."""

from __future__ import annotations

import pytest

from quorum.errors import ValidationFailed
from quorum.scoring import reliability


def test_brier_score_and_table_match_a_hand_computation() -> None:
    report = reliability([0.2, 0.8, 0.8, 1.0], [False, True, False, True], bins=2)
    assert report.count == 4
    assert report.brier == pytest.approx((0.04 + 0.04 + 0.64 + 0.0) / 4)
    assert [(r.bin, r.count) for r in report.rows] == [(0, 1), (1, 3)]
    high = report.rows[1]
    assert high.mean_predicted == pytest.approx(2.6 / 3)
    assert high.observed_win_rate == pytest.approx(2 / 3)
    assert (high.lower, high.upper) == (0.5, 1.0)
    assert report.expected_calibration_error == pytest.approx(
        (1 * 0.2 + 3 * abs(2 / 3 - 2.6 / 3)) / 4
    )


def test_no_data_gives_an_empty_report() -> None:
    report = reliability([], [])
    assert (report.count, report.brier, report.rows) == (0, None, ())


def test_reliability_refuses_probabilities_outside_unit_range() -> None:
    with pytest.raises(ValidationFailed, match="probabilities"):
        reliability([1.2], [True])


def test_reliability_refuses_mismatched_lengths() -> None:
    with pytest.raises(ValidationFailed, match="wins"):
        reliability([0.5], [])
