"""SAFE_MODE: trips on daily / monthly drawdown or a loss streak, blocks new entries,
leaves exits managed, and resets only by schedule or an authorized manual command."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from tests.unit.risk.risk_kit import (
    EQUITY,
    T0,
    check,
    decide,
    monitored,
    open_position,
    portfolio,
    settings,
    state,
)

from quorum.domain import OrderLeg, Side, Verdict
from quorum.risk import (
    AccountSnapshot,
    ClosePosition,
    RiskSettings,
    Rule,
    SafeModeCause,
    SafeModeReset,
    SafeModeTripped,
    TripSafeMode,
    apply_actions,
    evaluate_exit,
    manual_reset_safe_mode,
    mark_equity,
    monitor,
    on_trade_closed,
    refresh_state,
)
from quorum.testing import make_order_intent, make_quote

NEXT_RESET = datetime.fromisoformat("2024-01-04T00:00:00+00:00")
NEXT_MONTH = datetime.fromisoformat("2024-02-01T00:00:00+00:00")
QUIET: dict[str, Any] = {"account": {"cooldown_tiers": []}}


def _tripped(events: tuple[object, ...]) -> list[SafeModeTripped]:
    return [e for e in events if isinstance(e, SafeModeTripped)]


def test_daily_drawdown_beyond_eight_percent_trips_safe_mode() -> None:
    s = RiskSettings()
    update = mark_equity(state(s), Decimal(91_999), T0, s)
    [event] = _tripped(update.events)
    assert event.cause is SafeModeCause.DAILY_DRAWDOWN
    assert (event.measured, event.limit) == ("8.001%", "8.000%")
    assert event.resets_at == NEXT_RESET
    assert update.state.safe_mode is not None


def test_daily_drawdown_of_exactly_eight_percent_does_not_trip() -> None:
    s = RiskSettings()
    update = mark_equity(state(s), Decimal(92_000), T0, s)
    assert update.state.safe_mode is None
    assert update.events == ()


def test_daily_drawdown_is_measured_from_the_days_peak() -> None:
    s = RiskSettings()
    high = mark_equity(state(s), Decimal(110_000), T0, s).state
    update = mark_equity(high, Decimal(101_000), T0 + timedelta(hours=1), s)
    assert _tripped(update.events)[0].measured == "8.182%"


def test_monthly_drawdown_beyond_twenty_percent_trips_until_next_month() -> None:
    s = RiskSettings()
    rules = state(s, month_peak_equity=Decimal(125_000))
    update = mark_equity(rules, Decimal(99_999), T0, s)
    [event] = _tripped(update.events)
    assert event.cause is SafeModeCause.MONTHLY_DRAWDOWN
    assert event.resets_at == NEXT_MONTH


def test_evaluate_rejects_on_drawdown_before_the_state_has_tripped() -> None:
    decision = decide(folio=portfolio(equity=Decimal(91_000)))
    failed = decision.failed[0]
    assert (failed.rule, failed.measured, failed.limit) == (Rule.DAILY_DRAWDOWN, "9.000%", "8.000%")


def test_two_consecutive_losses_do_not_trip_the_streak() -> None:
    s = settings(**QUIET)
    rules = on_trade_closed(state(s), Decimal(-100), EQUITY - 100, T0, s).state
    update = on_trade_closed(rules, Decimal(-100), EQUITY - 200, T0, s)
    assert update.state.loss_streak == 2
    assert update.state.safe_mode is None


def test_the_third_consecutive_loss_trips_safe_mode() -> None:
    s = settings(**QUIET)
    rules = state(s)
    for k in range(1, 4):
        update = on_trade_closed(rules, Decimal(-100), EQUITY - 100 * k, T0, s)
        rules = update.state
    [event] = _tripped(update.events)
    assert event.cause is SafeModeCause.LOSS_STREAK
    assert event.measured == "3 losses"
    assert decide(rules=rules, s=s).failed[0].rule == Rule.SAFE_MODE


def test_a_win_resets_the_loss_streak() -> None:
    s = settings(**QUIET)
    rules = on_trade_closed(state(s), Decimal(-100), EQUITY - 100, T0, s).state
    rules = on_trade_closed(rules, Decimal(-100), EQUITY - 200, T0, s).state
    rules = on_trade_closed(rules, Decimal(50), EQUITY - 150, T0, s).state
    rules = on_trade_closed(rules, Decimal(-100), EQUITY - 250, T0, s).state
    assert rules.loss_streak == 1
    assert rules.safe_mode is None


def test_a_streak_losing_more_than_five_percent_trips_safe_mode() -> None:
    s = settings(**QUIET)
    rules = on_trade_closed(state(s), Decimal(-2_600), EQUITY - 2_600, T0, s).state
    update = on_trade_closed(rules, Decimal(-2_600), EQUITY - 5_200, T0, s)
    [event] = _tripped(update.events)
    assert (event.measured, event.limit) == ("5.200%", "5.000%")


def test_a_streak_losing_exactly_five_percent_does_not_trip() -> None:
    s = settings(account={"cooldown_tiers": [], "daily_realized_loss_fraction": None})
    rules = on_trade_closed(state(s), Decimal(-2_500), EQUITY - 2_500, T0, s).state
    update = on_trade_closed(rules, Decimal(-2_500), EQUITY - 5_000, T0, s)
    assert update.state.safe_mode is None


def test_safe_mode_resets_at_the_scheduled_daily_reset() -> None:
    s = RiskSettings()
    tripped = mark_equity(state(s), Decimal(90_000), T0, s).state
    assert refresh_state(tripped, NEXT_RESET - timedelta(seconds=1), s).state.safe_mode
    update = refresh_state(tripped, NEXT_RESET, s)
    assert update.state.safe_mode is None
    [reset] = [e for e in update.events if isinstance(e, SafeModeReset)]
    assert reset.by == "schedule"


def test_safe_mode_without_auto_reset_needs_an_authorized_manual_command() -> None:
    s = settings(drawdown={"auto_reset": False})
    tripped = mark_equity(state(s), Decimal(90_000), T0, s).state
    assert refresh_state(tripped, NEXT_RESET + timedelta(days=3), s).state.safe_mode
    with pytest.raises(ValueError, match="must name the operator"):
        manual_reset_safe_mode(tripped, T0, s, authorized_by=" ")
    update = manual_reset_safe_mode(tripped, T0 + timedelta(hours=1), s, authorized_by="alice")
    assert update.state.safe_mode is None
    assert update.events[-1] == SafeModeReset(
        at=T0 + timedelta(hours=1), by="alice", cause=SafeModeCause.DAILY_DRAWDOWN
    )


def test_monitor_asks_to_trip_safe_mode_and_apply_actions_trips_once() -> None:
    s = RiskSettings()
    actions = monitor([], {}, state(s), T0, s, account=AccountSnapshot(equity=Decimal(91_000)))
    assert [type(a) for a in actions] == [TripSafeMode]
    update = apply_actions(state(s), [*actions, *actions], T0, s)
    assert len(_tripped(update.events)) == 1
    again = apply_actions(update.state, actions, T0, s)
    assert again.events == ()


def test_scripted_drawdown_day_trips_safe_mode_and_keeps_managing_exits() -> None:
    s = RiskSettings()
    journal: list[object] = []

    def at(hours: float) -> datetime:
        return T0 + timedelta(hours=hours)

    rules = state(s)
    assert decide(rules=rules, s=s).verdict is Verdict.APPROVED

    update = on_trade_closed(rules, Decimal(1_000), Decimal(101_000), at(0.5), s)
    journal.extend(update.events)
    update = on_trade_closed(update.state, Decimal(-2_000), Decimal(99_000), at(1), s)
    journal.extend(update.events)
    rules = update.state
    assert rules.day_peak_equity == Decimal(101_000)
    cooling = decide(folio=portfolio(equity=Decimal(99_000)), rules=rules, as_of=at(1.2), s=s)
    assert cooling.failed[0].rule == Rule.COOLDOWN

    update = mark_equity(rules, Decimal(95_000), at(3.5), s)
    rules = update.state
    assert rules.safe_mode is None
    assert decide(folio=portfolio(equity=Decimal(95_000)), rules=rules, as_of=at(3.5), s=s).approved

    update = mark_equity(rules, Decimal(92_900), at(4), s)
    journal.extend(update.events)
    rules = update.state
    [tripped] = _tripped(tuple(journal))
    assert tripped.cause is SafeModeCause.DAILY_DRAWDOWN
    assert tripped.measured == "8.020%"

    blocked = decide(folio=portfolio(equity=Decimal(92_900)), rules=rules, as_of=at(4.1), s=s)
    assert [c.rule for c in blocked.failed] == [Rule.SAFE_MODE]
    assert check(blocked, Rule.KILL_SWITCH).passed

    position = open_position()
    falling = make_quote(bid=Decimal("97.9"), ask=Decimal("98"), last=Decimal("97.9"))
    actions = monitor([monitored(position)], {"BTC/USDT": falling}, rules, at(4.2), s)
    assert [type(a) for a in actions] == [ClosePosition]
    exit_order = make_order_intent(
        side=Side.SELL, leg=OrderLeg.EXIT, quantity=position.quantity, reduce_only=True
    )
    assert evaluate_exit(exit_order, position, at(4.2)).verdict is Verdict.APPROVED

    recovered = mark_equity(rules, Decimal(99_000), at(5), s).state
    assert recovered.safe_mode is not None  # recovery alone does not reset SAFE_MODE

    update = refresh_state(recovered, NEXT_RESET, s)
    assert any(isinstance(e, SafeModeReset) for e in update.events)
    fresh = decide(
        folio=portfolio(equity=Decimal(99_000)), rules=update.state, as_of=NEXT_RESET, s=s
    )
    assert fresh.verdict is Verdict.APPROVED
