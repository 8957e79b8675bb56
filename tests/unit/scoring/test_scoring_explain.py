"""explain: short, deterministic reason with evidence, dissent and the risk note."""

from __future__ import annotations

import pytest
from tests.unit.scoring.scoring_kit import frame, hit, opinion, scan

from quorum.domain import Bias, Timeframe
from quorum.errors import ValidationFailed
from quorum.scoring import MAX_CHARS, ScoringSettings, explain, score_confluence

SETTINGS = ScoringSettings(llm_share=None)  # the absolute llm_weight, hand-computed below


def _score(trend: float = 0.0):  # type: ignore[no-untyped-def]
    opinions = [opinion(), opinion("sentiment", Bias.BEARISH, 0.6)]
    score = score_confluence(
        scan(frame(values={"rsi": 25.0}, patterns=(hit(Timeframe.H1),), trend=trend)),
        opinions,
        {"m": 1.0},
        SETTINGS,
    )
    return score, opinions


def test_explanation_lists_top_evidence_dissent_and_risk() -> None:
    score, opinions = _score()
    text = explain(score, opinions, risk_note="size halved: daily loss at 80% of limit", top=2)
    # Σweight = 1 (rsi) + 1 (hammer) + 0.75 (regime) + 1.5 (technical) + 0.9 (sentiment) = 5.15
    assert text == (
        "Bullish +0.36. For: llm:technical +0.29; 1h:pattern:candlestick:hammer +0.19. "
        "Dissent: sentiment bearish (conf 0.60). Risk: size halved: daily loss at 80% of limit"
    )


def test_explanation_mentions_the_counter_regime_cut() -> None:
    score, opinions = _score(trend=-0.5)
    assert "Against the regime: strength cut 25%." in explain(score, opinions)


def test_explanation_is_deterministic_and_short_even_with_a_long_risk_note() -> None:
    score, opinions = _score()
    text = explain(score, opinions, risk_note="x" * 1000)
    assert text == explain(score, opinions, risk_note="x" * 1000)
    assert len(text) <= MAX_CHARS
    assert text.endswith("…")


def test_neutral_score_says_there_is_no_edge() -> None:
    score = score_confluence(scan(), [], {}, SETTINGS)
    assert explain(score, []) == "Neutral +0.00. No directional edge."


def test_top_must_be_positive() -> None:
    score, opinions = _score()
    with pytest.raises(ValidationFailed, match="top"):
        explain(score, opinions, top=0)
