"""Marketable-limit entries with price protection, and the collar against the venue's price
(issue #18 item 6).

The entry goes out as a LIMIT at the venue's last price ± ``execution.entry_protection_bps``;
an ``execute`` that finds the venue's price run beyond the band leaves it resting (before:
a market order filled at whatever the price had become), and the sweep cancels it at the
venue once it is older than ``execution.max_intent_age``. The collar measures the signal's
entry against the venue's price when the decision is taken (before: the scan's own close,
so a late analysis could not be refused).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.unit.pipeline.kit import Kit, make_kit

from quorum.domain import Direction, OrderState, OrderType, format_time
from quorum.pipeline.prices import latest_bar
from quorum.store import session_scope

SYMBOL = "BTC/USDT"
BAND = Decimal("0.0001")  # 1 bp


def _as_of(kit: Kit) -> str:
    return format_time(kit.clock.now().replace(second=0))


def _jump(kit: Kit, direction: str, reference: Decimal) -> None:
    """The venue's price jumps 1 % against a ``direction`` entry after the decision."""
    price = reference * (Decimal("1.01") if direction == Direction.LONG.value else Decimal("0.99"))
    kit.venue.set_quote(SYMBOL, price, price, price)


def test_an_entry_rests_instead_of_filling_beyond_the_band(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The decision was taken at the venue's last price; before the entry is sent the price
    jumps 1 % against it. The 1 bp limit rests unfilled; before, the market order filled
    at the jumped price."""
    monkeypatch.chdir(tmp_path)
    execution = {"entry_protection_bps": "1", "max_intent_age": {"15m": 86400}}
    kit = make_kit(execution=execution)
    try:
        result = kit.tasks.analyze(SYMBOL, _as_of(kit), "15m")
        assert result["status"] == "approved", result
        cid = result["client_order_id"]
        deps = kit.tasks.deps
        order = deps.execution.order(cid)
        assert order.order_type is OrderType.LIMIT
        reference = latest_bar(deps.market, SYMBOL, deps.settings.base_timeframe, kit.clock.now())
        assert reference is not None
        long = result["direction"] == Direction.LONG.value
        limit = reference.close * (1 + BAND if long else 1 - BAND)
        assert order.price is not None
        assert abs(order.price - limit) <= limit * Decimal("1e-6")
        _jump(kit, result["direction"], reference.close)
        after = kit.tasks.execute(cid)
        assert Decimal(after["filled_quantity"]) == 0, after
        assert after["status"] == OrderState.ACKNOWLEDGED.value
    finally:
        kit.close()


def test_a_resting_entry_limit_is_cancelled_at_the_venue_when_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The resting entry of the test above, one hour later (``max_intent_age`` 1 h): the
    sweep cancels it at the venue, journals why and cancels its pending trade."""
    monkeypatch.chdir(tmp_path)
    execution = {"entry_protection_bps": "1", "max_intent_age": {"15m": 3600}}
    kit = make_kit(execution=execution)
    try:
        result = kit.tasks.analyze(SYMBOL, _as_of(kit), "15m")
        assert result["status"] == "approved", result
        cid = result["client_order_id"]
        deps = kit.tasks.deps
        reference = latest_bar(deps.market, SYMBOL, deps.settings.base_timeframe, kit.clock.now())
        assert reference is not None
        _jump(kit, result["direction"], reference.close)
        assert kit.tasks.execute(cid)["status"] == OrderState.ACKNOWLEDGED.value
        kit.clock.set(kit.clock.now() + timedelta(minutes=61))
        swept = kit.tasks.sweep()
        assert cid in swept["expired"], swept
        order = deps.execution.order(cid)
        assert order.state is OrderState.CANCELLED
        assert all(o.client_order_id != cid for o in kit.venue.open_orders(SYMBOL))
        with session_scope(deps.engine) as session:
            state = session.execute(
                text("SELECT state FROM pipeline_trades WHERE trade_id = :c"), {"c": cid}
            ).scalar()
            updates = session.execute(
                text("SELECT payload FROM journal_entries WHERE kind = 'order_update'")
            ).all()
        assert state == "cancelled"
        assert any("max_intent_age" in str(row[0]) and cid in str(row[0]) for row in updates)
    finally:
        kit.close()


def test_the_collar_refuses_a_late_analysis_against_the_venue_price(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The analysis of the 06:00 bar runs two hours late: the venue's last price has moved
    more than the 0.01 % collar from the signal's entry, so it is refused. Before, the
    reference was the scan's own close (the entry itself) and it was approved."""
    monkeypatch.chdir(tmp_path)
    kit = make_kit(sections={"risk": {"venue": {"price_collar_fraction": "0.0001"}}})
    try:
        as_of = _as_of(kit)
        deps = kit.tasks.deps
        then = latest_bar(deps.market, SYMBOL, deps.settings.base_timeframe, kit.clock.now())
        kit.clock.set(kit.clock.now() + timedelta(hours=2))
        now = latest_bar(deps.market, SYMBOL, deps.settings.base_timeframe, kit.clock.now())
        assert then is not None
        assert now is not None
        assert abs(now.close - then.close) / now.close > Decimal("0.0001")
        result = kit.tasks.analyze(SYMBOL, as_of, "15m")
        assert result["status"] == "rejected", result
        assert result["rule"] == "venue.price_collar"
    finally:
        kit.close()
