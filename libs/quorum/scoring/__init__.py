"""Confluence scoring, calibration and adaptive weights — pure (see docs/ARCHITECTURE.md).

* :func:`score_confluence` — indicators, patterns, regime and analyst opinions across
  timeframes into one score in [-1, 1] with its full breakdown.
* :func:`fit_calibration` / :class:`Calibrator` / :func:`reliability` — score → win
  probability (isotonic PAV or Beta-binomial bins, both hand-written on numpy) and its
  Brier score and calibration table.
* :class:`EpsilonGreedy` / :class:`UCB1` / :func:`update_weights` — bounded adaptive
  multipliers per pattern family and analyst from closed trades;
  :func:`update_model_accuracy` — bounded EMA of each model's hit rate.
* :func:`explain` — a short reason stored with the Signal.
"""

from typing import TYPE_CHECKING

from quorum.lazy import attach

if TYPE_CHECKING:
    from quorum.scoring.accuracy import AccuracyLimits, opinion_was_right, update_model_accuracy
    from quorum.scoring.adaptive import (
        TradeOutcome,
        analyst_arm,
        arm_credit,
        arm_of,
        family_arm,
        trade_contributors,
        trade_reward,
        update_weights,
    )
    from quorum.scoring.bandits import UCB1, Bandit, BanditLimits, EpsilonGreedy
    from quorum.scoring.calibration import (
        Calibrator,
        calibrated,
        fit_calibration,
        pool_adjacent_violators,
        strength_toward,
    )
    from quorum.scoring.confluence import (
        REGIME_AGAINST,
        regime_bias,
        score_confluence,
        timeframe_weights,
    )
    from quorum.scoring.explain import MAX_CHARS, explain
    from quorum.scoring.indicators import indicator_signals
    from quorum.scoring.reliability import CalibrationRow, ReliabilityReport, reliability
    from quorum.scoring.settings import INDICATOR_SIGNALS, EvidenceWeights, ScoringSettings
else:
    __getattr__, __dir__ = attach(
        __name__,
        {
            "AccuracyLimits": "accuracy",
            "Bandit": "bandits",
            "BanditLimits": "bandits",
            "CalibrationRow": "reliability",
            "Calibrator": "calibration",
            "EpsilonGreedy": "bandits",
            "EvidenceWeights": "settings",
            "INDICATOR_SIGNALS": "settings",
            "MAX_CHARS": "explain",
            "REGIME_AGAINST": "confluence",
            "ReliabilityReport": "reliability",
            "ScoringSettings": "settings",
            "TradeOutcome": "adaptive",
            "UCB1": "bandits",
            "analyst_arm": "adaptive",
            "arm_credit": "adaptive",
            "arm_of": "adaptive",
            "calibrated": "calibration",
            "explain": "explain",
            "family_arm": "adaptive",
            "fit_calibration": "calibration",
            "indicator_signals": "indicators",
            "opinion_was_right": "accuracy",
            "pool_adjacent_violators": "calibration",
            "regime_bias": "confluence",
            "reliability": "reliability",
            "score_confluence": "confluence",
            "strength_toward": "calibration",
            "timeframe_weights": "confluence",
            "trade_contributors": "adaptive",
            "trade_reward": "adaptive",
            "update_model_accuracy": "accuracy",
            "update_weights": "adaptive",
        },
    )

__all__ = [
    "INDICATOR_SIGNALS",
    "MAX_CHARS",
    "REGIME_AGAINST",
    "UCB1",
    "AccuracyLimits",
    "Bandit",
    "BanditLimits",
    "CalibrationRow",
    "Calibrator",
    "EpsilonGreedy",
    "EvidenceWeights",
    "ReliabilityReport",
    "ScoringSettings",
    "TradeOutcome",
    "analyst_arm",
    "arm_credit",
    "arm_of",
    "calibrated",
    "explain",
    "family_arm",
    "fit_calibration",
    "indicator_signals",
    "opinion_was_right",
    "pool_adjacent_violators",
    "regime_bias",
    "reliability",
    "score_confluence",
    "strength_toward",
    "timeframe_weights",
    "trade_contributors",
    "trade_reward",
    "update_model_accuracy",
    "update_weights",
]
