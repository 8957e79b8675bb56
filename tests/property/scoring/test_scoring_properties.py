"""Properties of scoring: bounded, monotone evidence, calibration, Brier, bounded bandits."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.scoring.scoring_kit import frame, hit, opinion, scan

from quorum.domain import AgentOpinion, Bias, PatternFamily, ScanResult, Timeframe
from quorum.scoring import (
    UCB1,
    AccuracyPrior,
    Bandit,
    BanditLimits,
    EpsilonGreedy,
    OpinionHit,
    ScoringSettings,
    fit_calibration,
    learn_accuracy,
    reliability,
    score_confluence,
)

EXAMPLES = settings(max_examples=40, deadline=None)
SETTINGS = ScoringSettings()
TOLERANCE = 1e-12
unit = st.floats(0.0, 1.0, allow_nan=False)
signed = st.floats(-1.0, 1.0, allow_nan=False)
INDICATORS = {
    "rsi": st.floats(0.0, 100.0),
    "stoch_k": st.floats(0.0, 100.0),
    "mfi": st.floats(0.0, 100.0),
    "cci": st.floats(-300.0, 300.0),
    "ema_fast": st.floats(90.0, 110.0),
    "ema_slow": st.floats(90.0, 110.0),
    "atr": st.floats(0.0, 5.0),
    "macd_hist": st.floats(-3.0, 3.0),
    "adx": st.floats(0.0, 60.0),
    "plus_di": st.floats(0.0, 50.0),
    "minus_di": st.floats(0.0, 50.0),
}


@st.composite
def frame_specs(draw: st.DrawFn) -> list[dict[str, Any]]:
    timeframes = draw(
        st.lists(st.sampled_from(list(Timeframe)), min_size=1, max_size=3, unique=True)
    )
    specs = []
    for tf in timeframes:
        keys = draw(st.lists(st.sampled_from(sorted(INDICATORS)), unique=True, max_size=6))
        specs.append(
            {
                "timeframe": tf,
                "values": {k: draw(INDICATORS[k]) for k in keys},
                "patterns": draw(
                    st.lists(
                        st.tuples(
                            st.sampled_from(list(Bias)), unit, st.sampled_from(list(PatternFamily))
                        ),
                        max_size=3,
                    )
                ),
                "trend": draw(signed),
                "volatility": draw(unit),
            }
        )
    return specs


def build(specs: list[dict[str, Any]]) -> ScanResult:
    return scan(
        *(
            frame(
                s["timeframe"],
                values=s["values"],
                patterns=tuple(
                    hit(s["timeframe"], bias, conf, fam, f"p{i}")
                    for i, (bias, conf, fam) in enumerate(s["patterns"])
                ),
                trend=s["trend"],
                volatility=s["volatility"],
            )
            for s in specs
        )
    )


opinions = st.lists(
    st.builds(
        opinion,
        st.sampled_from(["technical", "patterns", "regime"]),
        st.sampled_from([Bias.BULLISH, Bias.BEARISH, Bias.NEUTRAL, None]),
        unit,
        st.sampled_from(["a", "b", ""]),
    ),
    max_size=4,
)
accuracies = st.dictionaries(st.sampled_from(["a", "b"]), unit)


def _score(specs: list[dict[str, Any]], ops: list[AgentOpinion], acc: dict[str, float]) -> float:
    return score_confluence(build(specs), ops, acc, SETTINGS).score


@EXAMPLES
@given(frame_specs(), opinions, accuracies)
def test_score_is_bounded_and_equals_contributions_over_weights(
    specs: list[dict[str, Any]], ops: list[AgentOpinion], acc: dict[str, float]
) -> None:
    result = score_confluence(build(specs), ops, acc, SETTINGS)
    assert -1.0 <= result.score <= 1.0
    total = sum(c.weight for c in result.components)
    if total > 0:
        expected = sum(c.contribution for c in result.components) / total
        assert abs(max(-1.0, min(1.0, expected)) - result.score) < 1e-9


Mutation = Callable[[list[dict[str, Any]], list[AgentOpinion], float], None]


def _raise_pattern(specs: list[dict[str, Any]], ops: list[AgentOpinion], x: float) -> None:
    specs[0]["patterns"].append((Bias.BULLISH, x, PatternFamily.BREAKOUT))


def _raise_opinion(specs: list[dict[str, Any]], ops: list[AgentOpinion], x: float) -> None:
    ops.append(opinion("probe", Bias.BULLISH, x, "a"))


def _raise_trend(specs: list[dict[str, Any]], ops: list[AgentOpinion], x: float) -> None:
    specs[0]["trend"] = 2 * x - 1


def _lower_rsi(specs: list[dict[str, Any]], ops: list[AgentOpinion], x: float) -> None:
    specs[0]["values"]["rsi"] = 100 * (1 - x)


def _raise_ema_fast(specs: list[dict[str, Any]], ops: list[AgentOpinion], x: float) -> None:
    specs[0]["values"].update(ema_slow=100.0, atr=1.0, ema_fast=95 + 10 * x)


def _lower_bearish_pattern(specs: list[dict[str, Any]], ops: list[AgentOpinion], x: float) -> None:
    specs[0]["patterns"].append((Bias.BEARISH, 1 - x, PatternFamily.DIVERGENCE))


@EXAMPLES
@given(
    frame_specs(),
    opinions,
    accuracies,
    st.sampled_from(
        [
            _raise_pattern,
            _raise_opinion,
            _raise_trend,
            _lower_rsi,
            _raise_ema_fast,
            _lower_bearish_pattern,
        ]
    ),
    unit,
    unit,
)
def test_more_bullish_evidence_in_one_component_never_lowers_the_score(
    specs: list[dict[str, Any]],
    ops: list[AgentOpinion],
    acc: dict[str, float],
    mutate: Mutation,
    a: float,
    b: float,
) -> None:
    low, high = sorted((a, b))
    scores = []
    for x in (low, high):
        trial_specs = [
            {**s, "values": dict(s["values"]), "patterns": list(s["patterns"])} for s in specs
        ]
        trial_ops = list(ops)
        mutate(trial_specs, trial_ops, x)
        scores.append(_score(trial_specs, trial_ops, acc))
    assert scores[1] >= scores[0] - TOLERANCE


@EXAMPLES
@given(
    st.lists(st.tuples(signed, st.booleans()), max_size=60),
    st.sampled_from(["isotonic", "bayes_bins"]),
    st.floats(0.1, 20.0),
    st.floats(0.1, 20.0),
    st.integers(1, 20),
)
def test_calibration_is_monotone_and_within_unit_range(
    data: list[tuple[float, bool]], method: str, a: float, b: float, bins: int
) -> None:
    cal = fit_calibration([s for s, _ in data], [w for _, w in data], method, a, b, bins)  # type: ignore[arg-type]
    grid = [cal.probability(x) for x in np.linspace(-1.0, 1.0, 41)]
    assert all(0.0 <= p <= 1.0 for p in grid)
    assert all(q >= p - TOLERANCE for p, q in itertools.pairwise(grid))


@EXAMPLES
@given(st.lists(st.tuples(unit, st.booleans()), min_size=1, max_size=80), st.integers(1, 12))
def test_brier_score_matches_a_direct_computation(
    data: list[tuple[float, bool]], bins: int
) -> None:
    probabilities = [p for p, _ in data]
    wins = [w for _, w in data]
    report = reliability(probabilities, wins, bins)
    direct = sum((p - (1.0 if w else 0.0)) ** 2 for p, w in data) / len(data)
    assert report.brier is not None
    assert abs(report.brier - direct) < 1e-12
    assert sum(r.count for r in report.rows) == len(data)


ARMS = ("pattern:breakout", "pattern:divergence", "llm:technical", "llm:regime")
limits_strategy = st.builds(
    BanditLimits,
    max_step=st.floats(0.01, 0.5),
    max_window_change=st.floats(0.05, 1.0),
    window=st.integers(1, 30),
    floor=st.floats(0.05, 1.0),
    cap=st.floats(1.0, 4.0),
)
updates = st.lists(st.tuples(st.sampled_from(ARMS), signed), min_size=1, max_size=120)


def _make(kind: str, seed: int, limits: BanditLimits) -> Bandit:
    return EpsilonGreedy(ARMS, 0.3, seed, limits) if kind == "eps" else UCB1(ARMS, seed, limits)


@EXAMPLES
@given(st.sampled_from(["eps", "ucb"]), st.integers(0, 2**31), limits_strategy, updates)
def test_bandit_weights_stay_bounded_per_step_and_per_window(
    kind: str, seed: int, limits: BanditLimits, steps: list[tuple[str, float]]
) -> None:
    bandit = _make(kind, seed, limits)
    anchor = bandit.weights()
    previous = anchor
    for i, (arm, reward) in enumerate(steps):
        if i % limits.window == 0:
            anchor = previous
        bandit.update(arm, reward)
        current = bandit.weights()
        for a in ARMS:
            assert limits.floor - TOLERANCE <= current[a] <= limits.cap + TOLERANCE
            assert abs(current[a] - previous[a]) <= limits.max_step + 1e-9
            assert abs(current[a] - anchor[a]) <= limits.max_window_change + 1e-9
        previous = current


@EXAMPLES
@given(st.sampled_from(["eps", "ucb"]), st.integers(0, 2**31), updates)
def test_same_seed_and_updates_give_the_same_weights(
    kind: str, seed: int, steps: list[tuple[str, float]]
) -> None:
    first, second = _make(kind, seed, BanditLimits()), _make(kind, seed, BanditLimits())
    for arm, reward in steps:
        first.update(arm, reward)
        second.update(arm, reward)
    assert first.weights() == second.weights()


@EXAMPLES
@given(
    st.lists(st.tuples(st.sampled_from(["a", "b"]), st.booleans(), unit), max_size=200),
    st.integers(1, 50),
    st.floats(0.0, 50.0),
)
def test_learned_accuracy_stays_within_limits_and_needs_the_minimum_sample(
    calls: list[tuple[str, bool, float]], min_samples: int, strength: float
) -> None:
    prior = AccuracyPrior(min_samples=min_samples, window=50, strength=strength)
    hits = [OpinionHit(model=m, role="bull", confidence=c, right=r) for m, r, c in calls]
    for learned in learn_accuracy(hits, prior).values():
        assert prior.floor <= learned.accuracy <= prior.cap
        assert min_samples <= learned.samples <= prior.window
        rate = learned.hits / learned.samples
        # shrinkage: between the prior and the raw hit rate
        assert min(rate, prior.prior) - 1e-12 <= learned.accuracy or learned.accuracy == prior.floor
        assert learned.accuracy <= max(rate, prior.prior) + 1e-12 or learned.accuracy == prior.cap
