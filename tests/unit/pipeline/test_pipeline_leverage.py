"""Leverage for derivative markets reaches the gate and the monitor (issue #18 item 6).

A symbol whose ``execution.markets`` entry says ``swap`` trades at
``risk.portfolio.leverage["swap"]``: beyond ``max_leverage`` the analysis is refused
(``portfolio.leverage``), and a leveraged position near its liquidation price is reduced by
the monitor's liquidation guard (``monitor.liquidation``). Before, every signal and every
monitored position had leverage 1, so neither rule could act.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.unit.pipeline.kit import make_kit, next_bar, open_trade, scripted_kit

from quorum.domain import format_time

SYMBOL = "BTC/USDT"
SWAP = {"markets": {SYMBOL: {"symbol": SYMBOL, "market_type": "swap"}}}


def _risk(leverage: str, **monitor: str) -> dict[str, Any]:
    risk: dict[str, Any] = {"portfolio": {"leverage": {"swap": leverage}}}
    if monitor:
        risk["monitor"] = monitor
    return {"risk": risk}


def test_a_derivative_leverage_beyond_the_maximum_is_refused_at_the_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit(execution=SWAP, sections=_risk("5"))
    try:
        as_of = format_time(kit.clock.now().replace(second=0))
        result = kit.tasks.analyze(SYMBOL, as_of, "15m")
        assert result["status"] == "rejected", result
        assert result["rule"] == "portfolio.leverage"
    finally:
        kit.close()


def test_a_spot_market_trades_unleveraged_whatever_the_derivative_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit(sections=_risk("5"))
    try:
        as_of = format_time(kit.clock.now().replace(second=0))
        assert kit.tasks.analyze(SYMBOL, as_of, "15m")["status"] == "approved"
    finally:
        kit.close()


def _monitor_near_liquidation(tmp_path: Path, swap: bool) -> list[dict[str, Any]]:
    """A long of 0.5 at 100 with its stop at 90 (the band's edge), on a swap at 10x (margin
    5): the next bar closes at 90.5 (low 90.48), above the stop, where the position's
    margin left is 0.25 and its maintenance margin 0.226 (90.5 % used, the reduce
    threshold is 90 %)."""
    execution = SWAP if swap else None
    sections = _risk("10", reduce_fraction="1")
    sections["risk"]["portfolio"]["max_leverage"] = "10"
    with scripted_kit(execution=execution, sections=sections) as (kit, market):
        open_trade(kit, stop="90", target=None)
        assert kit.tasks.monitor()["trades"]["opened"] == 1
        next_bar(kit, market, 100.0, 100.0, 90.48, 90.5)
        actions: list[dict[str, Any]] = kit.tasks.monitor()["actions"]
        for action in actions:  # the exit order each action stored
            if action.get("client_order_id"):
                order = kit.tasks.deps.execution.order(action["client_order_id"])
                action["quantity"] = order.quantity
        return actions


def test_a_leveraged_position_near_liquidation_is_closed_by_the_monitor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    actions = _monitor_near_liquidation(tmp_path, swap=True)
    reduced = [a for a in actions if a["rule"] == "monitor.liquidation"]
    assert [a["kind"] for a in reduced] == ["reduce_position"], actions
    assert reduced[0]["intent"] == "stored"
    assert reduced[0]["quantity"] == Decimal("0.5")


def test_the_same_move_on_spot_is_no_liquidation_risk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    actions = _monitor_near_liquidation(tmp_path, swap=False)
    assert not [a for a in actions if a["rule"] == "monitor.liquidation"], actions
