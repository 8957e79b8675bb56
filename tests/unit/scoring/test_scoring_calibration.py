"""Calibration: PAV, isotonic and Beta-binomial fits, the prior, and calibrated scores."""

from __future__ import annotations

import numpy as np
import pytest
from tests.unit.scoring.scoring_kit import AS_OF, SYMBOL

from quorum.domain import ConfluenceScore, Direction
from quorum.errors import ValidationFailed
from quorum.scoring import (
    Calibrator,
    calibrated,
    fit_calibration,
    pool_adjacent_violators,
    strength_toward,
)


def test_pav_pools_a_violating_pair_into_its_weighted_mean() -> None:
    fitted = pool_adjacent_violators(np.array([1.0, 3.0, 2.0, 4.0]), np.array([1.0, 1.0, 3.0, 1.0]))
    assert fitted.tolist() == pytest.approx([1.0, 2.25, 2.25, 4.0])


def test_pav_leaves_a_monotone_sequence_alone() -> None:
    values = np.array([0.1, 0.2, 0.2, 0.9])
    assert pool_adjacent_violators(values, np.ones(4)).tolist() == values.tolist()


def test_bayes_bins_use_the_beta_posterior_mean_per_bin() -> None:
    cal = fit_calibration(
        [-0.9, -0.9, 0.9, 0.9], [False, False, True, True], "bayes_bins", 1.0, 1.0, bins=2
    )
    assert cal.knots_x == pytest.approx((-0.5, 0.5))
    assert cal.knots_p == pytest.approx((0.25, 0.75))
    assert cal.probability(0.0) == pytest.approx(0.5)
    assert cal.probability(1.0) == pytest.approx(0.75)
    assert cal.samples == 4


def test_empty_bayes_bin_gets_the_prior_mean_then_monotone_smoothing() -> None:
    cal = fit_calibration([0.9, 0.9], [False, False], "bayes_bins", 2.0, 2.0, bins=2)
    # bin 0 is empty: 0.5 (weight 4); bin 1: 2/6 (weight 6) → pooled 0.4
    assert cal.knots_p == pytest.approx((0.4, 0.4))


def test_isotonic_fit_pools_violators_and_applies_the_prior_per_block() -> None:
    cal = fit_calibration([-0.5, 0.0, 0.2, 0.6], [False, True, False, True], "isotonic", 1.0, 1.0)
    # PAV: [0], [1, 0] → 0.5, [1]; posteriors 1/3, 2/4, 2/3 at x -0.5, 0.1, 0.6
    assert cal.knots_x == pytest.approx((-0.5, 0.1, 0.6))
    assert cal.knots_p == pytest.approx((1 / 3, 0.5, 2 / 3))
    assert cal.probability(-1.0) == pytest.approx(1 / 3)
    assert cal.probability(0.35) == pytest.approx((0.5 + 2 / 3) / 2)


def test_thin_data_leans_on_the_prior() -> None:
    cal = fit_calibration([0.8], [True], "isotonic", 10.0, 10.0)
    assert cal.probability(0.8) == pytest.approx(11 / 21)


def test_no_data_gives_the_prior_only_calibrator() -> None:
    cal = fit_calibration([], [], "isotonic", 3.0, 1.0)
    assert cal == Calibrator.prior_only(3.0, 1.0)
    assert cal.method == "prior"
    assert cal.probability(-1.0) == cal.probability(1.0) == pytest.approx(0.75)


def test_window_fits_on_the_most_recent_outcomes_only() -> None:
    scores = [0.5] * 10
    wins = [False] * 5 + [True] * 5
    cal = fit_calibration(scores, wins, "isotonic", 1.0, 1.0, window=5)
    assert cal.samples == 5
    assert cal.probability(0.5) == pytest.approx(6 / 7)


@pytest.mark.parametrize(
    ("scores", "wins", "kwargs", "field"),
    [
        ([0.1], [True, False], {}, "wins"),
        ([1.5], [True], {}, "scores"),
        ([0.1], [True], {"prior_wins": 0.0}, "prior_wins"),
        ([0.1], [True], {"bins": 0}, "bins"),
        ([0.1], [True], {"window": 0}, "window"),
        ([0.1], [True], {"method": "platt"}, "method"),
    ],
)
def test_fit_refuses_bad_inputs(
    scores: list[float], wins: list[bool], kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed, match=field):
        fit_calibration(scores, wins, **kwargs)  # type: ignore[arg-type]


def test_calibrator_refuses_decreasing_knots() -> None:
    with pytest.raises(ValueError, match="knots_p"):
        Calibrator(
            method="isotonic",
            knots_x=(0.0, 1.0),
            knots_p=(0.6, 0.4),
            prior_wins=1.0,
            prior_losses=1.0,
            samples=2,
        )


def test_strength_toward_flips_the_score_for_a_short() -> None:
    assert strength_toward(0.4, Direction.LONG) == 0.4
    assert strength_toward(0.4, Direction.SHORT) == -0.4


def test_calibrated_score_gets_the_probability_of_its_own_direction() -> None:
    cal = fit_calibration([-0.9, 0.9], [False, True], "bayes_bins", 1.0, 1.0, bins=2)
    score = ConfluenceScore(symbol=SYMBOL, as_of=AS_OF, score=-0.9)
    assert calibrated(score, cal).probability == pytest.approx(cal.probability(0.9))
