"""Per-model and per-role hit rate, Brier and spend in the report (#21 item 1)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.unit.backtest.report.report_kit import result, trade

from quorum.backtest.report import build_report
from quorum.backtest.results import LlmSpend, LlmStats, TradeOpinion


def _opinion(model: str, role: str, right: bool | None, confidence: float = 0.6) -> TradeOpinion:
    return TradeOpinion(
        model=model, role=role, stance="bullish", confidence=confidence, right=right
    )


def test_rows_per_model_and_role_carry_hit_rate_brier_and_spend() -> None:
    trades = (
        trade("10", opinions=(_opinion("a", "technical", True), _opinion("b", "bull", True))),
        trade("-5", entry=1, exit_=2, opinions=(_opinion("a", "technical", False),)),
        trade("3", entry=2, exit_=3, opinions=(_opinion("a", "bear", None),)),
    )
    spend = (
        LlmSpend(model="a", role="technical", calls=4, spend_usd=Decimal("0.04")),
        LlmSpend(model="a", role="bear", calls=2, spend_usd=Decimal("0.02")),
        LlmSpend(model="b", role="bull", calls=1, spend_usd=Decimal("0.05")),
    )
    stats = LlmStats(calls=7, spend_usd=Decimal("0.11"), by_model_role=spend)
    doc = build_report(result(trades=trades, llm=stats))
    models = {r["label"]: r for r in doc["llm"]["by_model"]}
    roles = {r["label"]: r for r in doc["llm"]["by_role"]}
    # a: 2 scored opinions (1 right) on 3 trades; p = 0.8 → Brier (0.04 + 0.64) / 2
    assert models["a"]["trades"] == 3
    assert (models["a"]["opinions"], models["a"]["right"]) == (2, 1)
    assert models["a"]["hit_rate"] == pytest.approx(0.5)
    assert models["a"]["brier"] == pytest.approx(0.34)
    assert models["a"]["calls"] == 6
    assert Decimal(models["a"]["spend_usd"]) == Decimal("0.06")
    assert Decimal(models["a"]["spend_per_trade_usd"]) == Decimal("0.02")
    assert models["b"]["hit_rate"] == pytest.approx(1.0)
    assert roles["bear"]["opinions"] == 0
    assert roles["bear"]["hit_rate"] is None
    assert roles["technical"]["trades"] == 2
    assert Decimal(roles["bull"]["spend_usd"]) == Decimal("0.05")
