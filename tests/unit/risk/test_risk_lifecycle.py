"""Pure state updates: each returns a new state and the events to journal."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from tests.unit.risk.risk_kit import EQUITY, T0, state

from quorum.risk import (
    AccountTradingChanged,
    DailyReset,
    KillSwitchChanged,
    RiskSettings,
    daily_reset,
    initial_state,
    mark_equity,
    record_order,
    refresh_state,
    set_account_can_trade,
    set_kill_switch,
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00")


def test_initial_state_starts_the_day_and_month_at_the_reset_time() -> None:
    rules = initial_state(EQUITY, T0, RiskSettings())
    assert rules.day_started_at == utc("2024-01-03T00:00:00")
    assert rules.next_reset_at == utc("2024-01-04T00:00:00")
    assert rules.month_started_at == utc("2024-01-01T00:00:00")
    assert rules.next_month_at == utc("2024-02-01T00:00:00")
    assert rules.day_peak_equity == rules.month_peak_equity == EQUITY


def test_refresh_returns_the_same_state_when_nothing_is_due() -> None:
    s = RiskSettings()
    rules = state(s)
    update = refresh_state(rules, T0 + timedelta(hours=1), s)
    assert update.state is rules
    assert update.events == ()


def test_refresh_refuses_time_before_the_trading_day() -> None:
    s = RiskSettings()
    with pytest.raises(ValueError, match="must not move backwards"):
        refresh_state(state(s), T0 - timedelta(days=1), s)


def test_refresh_starts_a_new_month_with_the_last_equity_as_peak() -> None:
    s = RiskSettings()
    rules = mark_equity(state(s), Decimal(104_000), T0, s).state
    rules = mark_equity(rules, Decimal(103_000), T0, s).state
    update = refresh_state(rules, utc("2024-02-01T00:00:00"), s)
    [reset] = update.events
    assert isinstance(reset, DailyReset)
    assert reset.new_month
    assert update.state.month_peak_equity == Decimal(103_000)
    assert update.state.next_month_at == utc("2024-03-01T00:00:00")


def test_forced_daily_reset_clears_the_days_counters_now() -> None:
    s = RiskSettings()
    rules = state(s, realized_pnl_today=Decimal(-500))
    assert daily_reset(rules, T0, s).state.realized_pnl_today == Decimal(-500)
    forced = daily_reset(rules, T0, s, force=True)
    assert forced.state.realized_pnl_today == 0
    assert isinstance(forced.events[-1], DailyReset)


def test_record_order_keeps_only_orders_inside_the_windows() -> None:
    s = RiskSettings()
    rules = record_order(state(s), "old", T0, s).state
    later = T0 + timedelta(days=1, seconds=1)
    rules = record_order(rules, "new", later, s).state
    assert rules.order_times == (later,)
    assert set(rules.seen_intents) == {"new"}


def test_set_kill_switch_reports_a_change_once() -> None:
    s = RiskSettings()
    first = set_kill_switch(state(s), True, T0, s, by="ops", reason="drill")
    assert first.events == (KillSwitchChanged(at=T0, engaged=True, by="ops", reason="drill"),)
    again = set_kill_switch(first.state, True, T0, s, by="ops")
    assert again.events == ()
    with pytest.raises(ValueError, match="must name who"):
        set_kill_switch(first.state, False, T0, s, by="")


def test_set_account_can_trade_reports_the_change() -> None:
    s = RiskSettings()
    update = set_account_can_trade(state(s), False, T0, s, reason="maintenance")
    assert update.events == (AccountTradingChanged(at=T0, can_trade=False, reason="maintenance"),)
    assert not update.state.account_can_trade


def test_mark_equity_refuses_non_positive_equity() -> None:
    s = RiskSettings()
    with pytest.raises(ValueError, match="equity: must be > 0"):
        mark_equity(state(s), Decimal(0), T0, s)


def test_events_name_their_journal_kind() -> None:
    s = RiskSettings()
    event = set_kill_switch(state(s), True, T0, s, by="ops").events[0]
    assert event.journal_kind.value == "kill_switch"
