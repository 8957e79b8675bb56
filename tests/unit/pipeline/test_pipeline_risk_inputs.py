"""What the pipeline feeds the risk gate makes its limits bite (issue #18 item 6).

Each test drives a real task body (``analyze``: scan → agents → risk → commit) over a
temporary database and finds the decision rejected by the named rule; before the inputs
were wired, every one of these analyses was approved.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from tests.unit.pipeline.kit import Kit, drain, make_kit

from quorum.domain import OrderIntent, OrderLeg, OrderType, RiskDecision, Side, Verdict, format_time
from quorum.pipeline import analyze_task
from quorum.pipeline.accounting import correlations, market_for
from quorum.pipeline.persistence import Trade, insert_trade
from quorum.pipeline.prices import latest_bar
from quorum.store import session_scope

SYMBOL = "BTC/USDT"
OTHER = "ETH/USDT"


def _as_of(kit: Kit) -> str:
    return format_time(kit.clock.now().replace(second=0))


def _store_entry(kit: Kit, symbol: str, notional: Decimal, strategy: str = "other") -> str:
    """Store (and do not send) an approved entry worth ``notional`` at the last close."""
    deps = kit.tasks.deps
    bar = latest_bar(deps.market, symbol, deps.settings.base_timeframe, kit.clock.now())
    assert bar is not None
    quantity = (notional / bar.close).quantize(Decimal("0.00001"))
    intent = OrderIntent(
        run_id=deps.run_id,
        strategy=strategy,
        symbol=symbol,
        signal_time=kit.clock.now() - timedelta(minutes=1),
        side=Side.BUY,
        leg=OrderLeg.ENTRY,
        order_type=OrderType.MARKET,
        quantity=quantity,
    )
    decision = RiskDecision(
        symbol=symbol, as_of=kit.clock.now(), verdict=Verdict.APPROVED, quantity=quantity
    )
    with session_scope(deps.engine) as session:
        assert deps.execution.store_intent(session, intent, decision).status == "stored"
    return intent.client_order_id


def test_analyze_without_other_exposure_is_approved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The baseline the tests below depart from: this analysis trades."""
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        result = kit.tasks.analyze(SYMBOL, _as_of(kit), "15m")
        assert result["status"] == "approved", result
    finally:
        kit.close()


def test_a_working_entry_counts_toward_total_exposure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry stored but not yet filled in another symbol holds 21 % of equity (limit
    20 %): no room is left for a new position."""
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        _store_entry(kit, OTHER, Decimal(2100))
        result = kit.tasks.analyze(SYMBOL, _as_of(kit), "15m")
        assert result["status"] == "rejected", result
        assert result["rule"] == "portfolio.total_exposure"
    finally:
        kit.close()


def _closed_trade(kit: Kit, index: int, pnl: Decimal) -> None:
    """A closed trade of the analysis strategy whose entry order is stored."""
    deps = kit.tasks.deps
    cid = _store_entry(kit, f"T{index}/USDT", Decimal(10), strategy=deps.agents.strategy)
    opened = kit.clock.now() - timedelta(hours=2)
    trade = Trade(
        trade_id=cid,
        run_id=deps.run_id,
        venue="paper",
        symbol=f"T{index}/USDT",
        direction="long",
        signal_id=f"s{index}",
        state="closed",
        stop=Decimal(90),
        initial_stop=Decimal(90),
        take_profit=None,
        best_price=None,
        exit_orders=(),
        pnl=pnl,
        r_multiple=float(pnl / 10),
        learned=True,
        opened_at=opened,
        closed_at=opened + timedelta(hours=1),
        version=1,
    )
    with session_scope(deps.engine) as session:
        assert insert_trade(session, trade)
        # the entry is done: it no longer counts as working exposure
        session.execute(
            text("UPDATE execution_orders SET state = 'filled' WHERE client_order_id = :c"),
            {"c": cid},
        )


def test_closed_trades_without_edge_make_the_kelly_cap_reject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One win of 10 and four losses of 10 (win rate 20 %, payoff 1): Kelly is negative
    once ``kelly_min_trades`` (5 here) trades closed, so the gate refuses to size."""
    monkeypatch.chdir(tmp_path)
    kit = make_kit(sections={"risk": {"sizing": {"kelly_min_trades": 5}}})
    try:
        for index, pnl in enumerate(["10", "-10", "-10", "-10", "-10"]):
            _closed_trade(kit, index, Decimal(pnl))
        result = kit.tasks.analyze(SYMBOL, _as_of(kit), "15m")
        assert result["status"] == "rejected", result
        assert result["rule"] == "sizing.kelly"
    finally:
        kit.close()


def test_too_few_closed_trades_leave_the_kelly_cap_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit(sections={"risk": {"sizing": {"kelly_min_trades": 6}}})
    try:
        for index, pnl in enumerate(["10", "-10", "-10", "-10", "-10"]):
            _closed_trade(kit, index, Decimal(pnl))
        result = kit.tasks.analyze(SYMBOL, _as_of(kit), "15m")
        assert result["status"] == "approved", result
    finally:
        kit.close()


def test_the_commit_decides_on_exposure_taken_while_the_graph_ran(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker stores an entry worth 21 % of equity while this analysis' agents
    deliberate: the commit re-reads the account and the decision is taken again on it."""
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    real = analyze_task.run_graph

    def graph_then_other_worker(*args: Any, **kwargs: Any) -> Any:
        outcome = real(*args, **kwargs)
        assert outcome.decision is not None
        assert outcome.decision.approved
        _store_entry(kit, OTHER, Decimal(2100))
        return outcome

    monkeypatch.setattr(analyze_task, "run_graph", graph_then_other_worker)
    try:
        result = kit.tasks.analyze(SYMBOL, _as_of(kit), "15m")
        assert result["status"] == "rejected", result
        assert result["rule"] == "portfolio.total_exposure"
    finally:
        kit.close()


def test_a_correlated_working_entry_fills_the_correlation_bucket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gate is told the return correlation of BTC with ETH measured on the base bars
    (0.045 in the synthetic data), so with the limit at 0.04 an ETH long risking 5 % of
    equity (no stop yet) already fills the 2 % risk budget of BTC's long bucket; without
    correlations it counted as uncorrelated and BTC was approved."""
    monkeypatch.chdir(tmp_path)
    kit = make_kit(sections={"risk": {"portfolio": {"correlation_limit": 0.04}}})
    try:
        measured = correlations(kit.tasks.deps, SYMBOL, [OTHER], kit.clock.now())
        assert measured[OTHER] > 0.04
        _store_entry(kit, OTHER, Decimal(500))
        result = kit.tasks.analyze(SYMBOL, _as_of(kit), "15m")
        assert result["status"] == "rejected", result
        assert result["rule"] == "portfolio.correlation"
    finally:
        kit.close()


def test_slippage_estimated_from_atr_can_take_the_expected_value_below_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At half an ATR of expected slippage per fill the trade approved above no longer
    pays; with the slippage fed as zero it was approved."""
    monkeypatch.chdir(tmp_path)
    kit = make_kit(pipeline={"slippage_atr_fraction": "0.5"})
    try:
        result = kit.tasks.analyze(SYMBOL, _as_of(kit), "15m")
        assert result["status"] == "rejected", result
        assert result["rule"] == "expectancy.net_ev"
    finally:
        kit.close()


def test_the_configured_venue_maximum_quantity_is_a_risk_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A market whose orders may not exceed 0.01 units (below the 5 USDT minimum notional
    at ~162): the gate rejects by the venue rule instead of approving an order the
    pre-trade check then refuses."""
    monkeypatch.chdir(tmp_path)
    limits = {SYMBOL: {"symbol": SYMBOL, "max_quantity": "0.01"}}
    kit = make_kit(sections={"execution": {"markets": limits}})
    try:
        result = kit.tasks.analyze(SYMBOL, _as_of(kit), "15m")
        assert result["status"] == "rejected", result
        assert result["rule"] == "venue.max_order_quantity"
    finally:
        kit.close()


def test_the_paper_venue_spec_sets_the_markets_costs_and_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The market the analysis is sized against carries the paper venue's fees, amount step
    and maximum quantity (the stored paper venue's spec, as the composition root built it)."""
    monkeypatch.chdir(tmp_path)
    kit = make_kit(pipeline={"slippage_atr_fraction": "0"})
    try:
        deps = kit.tasks.deps
        spec = deps.venue_spec
        assert spec is kit.venue.settings
        market = market_for(deps, SYMBOL, Decimal(100), Decimal("0.01"), None, kit.clock.now())
        assert market.taker_fee == spec.taker_fee
        assert market.maker_fee == spec.maker_fee
        assert market.slippage == spec.slippage
        assert market.amount_step == max(deps.settings.amount_step, spec.amount_step)
        assert market.max_order_quantity == spec.max_quantity
    finally:
        kit.close()


def test_the_collar_measures_the_entry_against_the_latest_base_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deciding on the 1 h timeframe at 06:15 the signal enters at the 1 h bar's close
    (06:00); the reference price is the 15 m close at 06:15, so with a 0.01 % collar the
    stale entry is refused. Before, the reference was the entry itself and it passed."""
    monkeypatch.chdir(tmp_path)
    kit = make_kit(sections={"risk": {"venue": {"price_collar_fraction": "0.0001"}}})
    try:
        at = kit.clock.now().replace(second=0) + timedelta(minutes=15)
        kit.clock.set(at + timedelta(seconds=5))
        deps = kit.tasks.deps
        latest = latest_bar(deps.market, SYMBOL, deps.settings.base_timeframe, at)
        hour = latest_bar(
            deps.market, SYMBOL, deps.settings.base_timeframe, at - timedelta(minutes=15)
        )
        assert latest is not None
        assert hour is not None
        assert abs(latest.close - hour.close) / latest.close > Decimal("0.0001")
        result = kit.tasks.analyze(SYMBOL, format_time(at), "1h")
        assert result["status"] == "rejected", result
        assert result["rule"] == "venue.price_collar"
    finally:
        kit.close()


def _hold_through_session_end(close_at_session_end: bool) -> list[dict[str, Any]]:
    """Open BTC in a session 06:00–06:15 UTC (Wednesday 2025-01-01) through analyze and
    execute, and run monitor at 06:15:05, the first pass after the session ended."""
    session = {"timezone": "UTC", "hours": [{"weekday": 2, "open": "06:00", "close": "06:15"}]}
    account = {"sessions": {SYMBOL: session}, "close_at_session_end": close_at_session_end}
    kit = make_kit(sections={"risk": {"account": account}})
    try:
        entry = kit.tasks.analyze(SYMBOL, _as_of(kit), "15m")
        assert entry["status"] == "approved", entry
        assert kit.tasks.execute(entry["client_order_id"])["status"] == "filled"
        drain(kit)  # the workers send the protective stop the fill placed
        assert kit.tasks.monitor()["trades"]["opened"] == 1
        kit.clock.set(kit.clock.now() + timedelta(minutes=15))
        actions: list[dict[str, Any]] = kit.tasks.monitor()["actions"]
        return actions
    finally:
        kit.close()


def test_a_position_is_closed_at_its_session_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    actions = _hold_through_session_end(close_at_session_end=True)
    assert [(a["kind"], a["rule"], a["intent"]) for a in actions] == [
        ("close_position", "account.session_close", "stored")
    ]


def test_without_session_close_out_the_position_is_carried_past_the_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _hold_through_session_end(close_at_session_end=False) == []
