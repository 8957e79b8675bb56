"""Confluence scoring, calibration and adaptive weights — pure (see docs/ARCHITECTURE.md).

* :func:`score_confluence` — indicators, patterns, regime and analyst opinions across
  timeframes into one score in [-1, 1] with its full breakdown.
* :func:`fit_calibration` / :class:`Calibrator` / :func:`reliability` — score → win
  probability (isotonic PAV or Beta-binomial bins, both hand-written on numpy) and its
  Brier score and calibration table.
* :class:`EpsilonGreedy` / :class:`UCB1` / :func:`update_weights` — bounded adaptive
  multipliers per pattern family and analyst from closed trades;
  :func:`learn_accuracy` — per-(model, role) hit rate over a rolling window, shrunk
  toward a prior, with its Brier score.
* :func:`explain` — a short reason stored with the Signal.
"""

from quorum.scoring.accuracy import (
    LearnedAccuracy,
    OpinionHit,
    accuracy_key,
    learn_accuracy,
    model_accuracy,
    opinion_brier,
    stance_was_right,
)
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
from quorum.scoring.settings import (
    INDICATOR_SIGNALS,
    AccuracyPrior,
    EvidenceWeights,
    ScoringSettings,
)

__all__ = [
    "INDICATOR_SIGNALS",
    "MAX_CHARS",
    "REGIME_AGAINST",
    "UCB1",
    "AccuracyPrior",
    "Bandit",
    "BanditLimits",
    "CalibrationRow",
    "Calibrator",
    "EpsilonGreedy",
    "EvidenceWeights",
    "LearnedAccuracy",
    "OpinionHit",
    "ReliabilityReport",
    "ScoringSettings",
    "TradeOutcome",
    "accuracy_key",
    "analyst_arm",
    "arm_credit",
    "arm_of",
    "calibrated",
    "explain",
    "family_arm",
    "fit_calibration",
    "indicator_signals",
    "learn_accuracy",
    "model_accuracy",
    "opinion_brier",
    "pool_adjacent_violators",
    "regime_bias",
    "reliability",
    "score_confluence",
    "stance_was_right",
    "strength_toward",
    "timeframe_weights",
    "trade_contributors",
    "trade_reward",
    "update_weights",
]
