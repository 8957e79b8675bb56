"""Prompt templates: deterministic, versioned, adapted to regime and timeframe."""

from __future__ import annotations

import pytest
from tests.unit.llm.llm_kit import context

from quorum.domain import Timeframe
from quorum.errors import ValidationFailed
from quorum.llm import PROMPTS, AnalystAnswer, extract_market_context, render_prompt
from quorum.llm.prompts import MarketContext
from quorum.testing import make_regime, make_scan_result, make_timeframe_scan


def _user(ctx: MarketContext, template: str = "technical") -> str:
    return render_prompt(template, ctx, AnalystAnswer).messages[1][1]


def test_the_same_context_renders_the_same_prompt() -> None:
    first = render_prompt("technical", context(), AnalystAnswer)
    second = render_prompt("technical", context().model_dump(), AnalystAnswer)

    assert first == second
    assert first.version == "technical/1"


def test_every_template_has_its_own_version() -> None:
    versions = {t.version for t in PROMPTS.values()}

    assert len(versions) == len(PROMPTS) >= 3


def test_the_embedded_context_reads_back_exactly() -> None:
    ctx = context()

    assert extract_market_context(_user(ctx)) == ctx


def test_the_system_prompt_follows_the_primary_regime() -> None:
    base = context()
    sideways = base.model_copy(
        update={
            "timeframes": tuple(
                tf.model_copy(update={"regime": tf.regime.model_copy(update={"kind": "sideways"})})
                for tf in base.timeframes
            )
        }
    )

    bull_system = render_prompt("regime", base, AnalystAnswer).messages[0][1]
    range_system = render_prompt("regime", sideways, AnalystAnswer).messages[0][1]

    assert "bull trend" in bull_system
    assert "range" in range_system
    assert bull_system != range_system


def test_the_system_prompt_follows_the_decision_timeframe() -> None:
    as_of = make_scan_result().as_of
    scan = make_scan_result(
        timeframes=(
            make_timeframe_scan(
                timeframe=Timeframe.M15,
                as_of=as_of,
                regime=make_regime(timeframe=Timeframe.M15, as_of=as_of),
            ),
        )
    )
    from quorum.llm import market_context_from_scan

    system = render_prompt("technical", market_context_from_scan(scan), AnalystAnswer).messages[0][
        1
    ]

    assert "15m (intraday)" in system


def test_an_unknown_template_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValidationFailed, match="patterns, regime, technical"):
        render_prompt("sentiment", context(), AnalystAnswer)


def test_a_prompt_without_a_context_block_reads_as_none() -> None:
    assert extract_market_context("no fence here") is None
    assert extract_market_context('```json\n{"a": 1}\n```') is None
