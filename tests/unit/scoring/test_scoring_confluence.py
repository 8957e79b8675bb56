"""score_confluence: hand-computed weights, contributions and the regime adjustment."""

from __future__ import annotations

import math

import pytest
from tests.unit.scoring.scoring_kit import AS_OF, SYMBOL, frame, hit, opinion, scan

from quorum.domain import AgentOpinion, Bias, PatternFamily, Timeframe
from quorum.errors import ValidationFailed
from quorum.scoring import (
    REGIME_AGAINST,
    EvidenceWeights,
    ScoringSettings,
    score_confluence,
    timeframe_weights,
)

SETTINGS = ScoringSettings(llm_share=None)  # the absolute llm_weight, hand-computed below


def _by_name(score: object) -> dict[str, tuple[float, float, float]]:
    components = score.components  # type: ignore[attr-defined]
    return {c.name: (c.value, c.weight, c.contribution) for c in components}


def test_score_combines_indicator_pattern_regime_and_opinion_as_hand_computed() -> None:
    result = score_confluence(
        scan(frame(values={"rsi": 20.0}, patterns=(hit(Timeframe.H1, confidence=0.5),))),
        [opinion(confidence=0.8)],
        {"m": 0.75},
        SETTINGS,
    )
    parts = _by_name(result)
    assert parts["1h:indicator:rsi"] == pytest.approx((0.5, 1.0, 0.5))
    assert parts["1h:pattern:candlestick:hammer"] == pytest.approx((1.0, 0.5, 0.5))
    assert parts["regime:1h"] == pytest.approx((0.0, 0.75, 0.0))
    assert parts["llm:technical"] == pytest.approx((1.0, 0.9, 0.9))  # 1.5 × 0.8 × 0.75
    assert result.score == pytest.approx(1.9 / 3.15)
    assert result.symbol == SYMBOL
    assert result.as_of == AS_OF
    assert result.probability is None


def test_no_opinion_contributes_nothing_and_is_not_listed() -> None:
    result = score_confluence(
        scan(frame(patterns=(hit(Timeframe.H1),))), [opinion(stance=None)], {}, SETTINGS
    )
    assert [c.name for c in result.components] == ["1h:pattern:candlestick:hammer", "regime:1h"]
    assert result.score == pytest.approx(1.0 / 1.75)


def test_neutral_opinion_dilutes_and_unknown_model_uses_default_accuracy() -> None:
    result = score_confluence(
        scan(), [opinion(stance=Bias.BULLISH), opinion("risk", Bias.NEUTRAL)], {}, SETTINGS
    )
    parts = _by_name(result)
    assert parts["llm:risk"] == pytest.approx((0.0, 0.75, 0.0))
    assert result.score == pytest.approx(0.5)


def test_neutral_pattern_hits_are_left_out() -> None:
    result = score_confluence(
        scan(frame(patterns=(hit(Timeframe.H1, Bias.NEUTRAL),))), [], {}, SETTINGS
    )
    assert [c.name for c in result.components] == ["regime:1h"]


def test_score_against_the_regime_is_shrunk_and_recorded_as_a_component() -> None:
    result = score_confluence(
        scan(frame(patterns=(hit(Timeframe.H1),), trend=-0.8)),
        [opinion()],
        {"m": 1.0},
        SETTINGS,
    )
    raw = (1.0 + 1.5 - 0.6) / 3.25
    assert result.score == pytest.approx(raw * (1 - 0.5 * 0.8))
    value, weight, contribution = _by_name(result)[REGIME_AGAINST]
    assert (value, weight) == pytest.approx((-0.4, 0.0))
    total_weight = sum(c.weight for c in result.components)
    assert sum(c.contribution for c in result.components) / total_weight == pytest.approx(
        result.score
    )
    assert contribution < 0


def test_score_with_the_regime_is_not_adjusted() -> None:
    result = score_confluence(
        scan(frame(patterns=(hit(Timeframe.H1),), trend=0.8)), [], {}, SETTINGS
    )
    assert REGIME_AGAINST not in _by_name(result)
    assert result.score == pytest.approx((1.0 + 0.6) / 1.75)


@pytest.mark.parametrize(
    ("volatility", "low", "high"),
    [(1.0, 0.5, 1.875), (0.0, 1.5, 0.625), (0.5, 1.0, 1.25)],
)
def test_high_volatility_moves_weight_to_the_higher_timeframe(
    volatility: float, low: float, high: float
) -> None:
    result = scan(
        frame(Timeframe.H1, volatility=volatility), frame(Timeframe.H4, volatility=volatility)
    )
    assert timeframe_weights(result, SETTINGS) == pytest.approx(
        {Timeframe.H1: low, Timeframe.H4: high}
    )


def test_evidence_weights_scale_pattern_families_and_analysts() -> None:
    weights = EvidenceWeights(families={"candlestick": 2.0}, analysts={"technical": 0.5})
    result = score_confluence(
        scan(frame(patterns=(hit(Timeframe.H1),))), [opinion()], {"m": 1.0}, SETTINGS, weights
    )
    parts = _by_name(result)
    assert parts["1h:pattern:candlestick:hammer"][1] == pytest.approx(2.0)
    assert parts["llm:technical"][1] == pytest.approx(0.75)


def test_repeated_component_names_get_a_suffix() -> None:
    hits = (hit(Timeframe.H1), hit(Timeframe.H1, family=PatternFamily.CANDLESTICK))
    result = score_confluence(scan(frame(patterns=hits)), [opinion(), opinion()], {}, SETTINGS)
    names = [c.name for c in result.components]
    assert "1h:pattern:candlestick:hammer#2" in names
    assert "llm:technical#2" in names


def test_empty_scan_and_no_opinions_scores_zero() -> None:
    result = score_confluence(scan(), [], {}, SETTINGS)
    assert result.score == 0.0
    assert result.components == ()


def test_opinion_about_another_symbol_is_refused() -> None:
    other = AgentOpinion(
        agent="technical", symbol="ETH/USDT", as_of=AS_OF, stance=Bias.BULLISH, confidence=1.0
    )
    with pytest.raises(ValidationFailed, match=r"opinions\[0\]\.symbol"):
        score_confluence(scan(), [other], {}, SETTINGS)


def test_non_finite_model_accuracy_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="model_accuracy"):
        score_confluence(scan(), [opinion()], {"m": math.nan}, SETTINGS)


def test_scoring_is_deterministic() -> None:
    s = scan(frame(values={"rsi": 75.0, "adx": 30.0, "plus_di": 25.0, "minus_di": 10.0}))
    assert score_confluence(s, [opinion()], {}, SETTINGS) == score_confluence(
        s, [opinion()], {}, SETTINGS
    )


def test_settings_reject_unknown_keys_and_negative_weights() -> None:
    with pytest.raises(ValueError, match="extra"):
        ScoringSettings(unknown=1.0)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="llm_weight"):
        ScoringSettings(llm_weight=-1.0)


def test_llm_share_fixes_the_opinions_share_of_the_weight_whatever_the_scan_size() -> None:
    settings = ScoringSettings(llm_share=0.4)
    small = scan(frame(values={"rsi": 20.0}))
    large = scan(
        frame(values={"rsi": 20.0, "mfi": 10.0, "cci": -200.0}, patterns=(hit(Timeframe.H1),) * 3)
    )
    for case in (small, large):
        result = score_confluence(case, [opinion(confidence=1.0)], {"m": 1.0}, settings)
        llm = sum(c.weight for c in result.components if c.name.startswith("llm:"))
        total = sum(c.weight for c in result.components)
        assert llm / total == pytest.approx(0.4)


def test_llm_share_is_split_among_opinions_and_scaled_by_confidence_and_accuracy() -> None:
    settings = ScoringSettings(llm_share=0.5)
    opinions = [opinion(confidence=1.0), opinion("regime", Bias.BEARISH, confidence=0.5)]
    accuracy = {"m#technical": 0.8, "m": 0.6}
    parts = _by_name(score_confluence(scan(frame()), opinions, accuracy, settings))
    scan_weight = sum(w for name, (_, w, _) in parts.items() if not name.startswith("llm:"))
    unit = scan_weight / 2  # share 0.5 → as much as the scan, shared by two opinions
    assert parts["llm:technical"][1] == pytest.approx(unit * 1.0 * 0.8)  # its (model, role)
    assert parts["llm:regime"][1] == pytest.approx(unit * 0.5 * 0.6)  # the model's pooled
