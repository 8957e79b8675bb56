"""Account rules with lockouts: trigger, no trigger at the boundary, lockout and reset."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tests.unit.risk.risk_kit import (
    EQUITY,
    T0,
    check,
    decide,
    exposure,
    monitored,
    open_position,
    portfolio,
    settings,
    signal,
    state,
)

from quorum.domain import Verdict
from quorum.risk import (
    ClosePosition,
    LockOut,
    LockoutEnded,
    LockoutStarted,
    RiskSettings,
    Rule,
    RulesState,
    apply_actions,
    monitor,
    on_fill,
    on_trade_closed,
    refresh_state,
    set_account_can_trade,
    set_kill_switch,
    trip_safe_mode,
)
from quorum.risk.state import SafeModeCause
from quorum.testing import make_fill, make_quote

NEXT_RESET = datetime.fromisoformat("2024-01-04T00:00:00+00:00")
NO_COOLDOWN: dict[str, Any] = {"cooldown_tiers": []}


def test_evaluate_rejects_after_daily_realized_loss_beyond_the_limit() -> None:
    decision = decide(rules=state(realized_pnl_today=Decimal(-3_100)))
    failed = decision.failed[0]
    assert (failed.rule, failed.measured, failed.limit) == (
        Rule.DAILY_REALIZED_LOSS,
        "3.100%",
        "3.000%",
    )


def test_evaluate_allows_daily_realized_loss_exactly_at_the_limit() -> None:
    decision = decide(rules=state(realized_pnl_today=Decimal(-3_000)))
    assert check(decision, Rule.DAILY_REALIZED_LOSS).passed
    assert decision.verdict is Verdict.APPROVED


def test_daily_realized_loss_locks_out_and_closes_until_the_next_reset() -> None:
    s = settings(account=NO_COOLDOWN)
    update = on_trade_closed(state(s), Decimal(-3_100), EQUITY - 3_100, T0, s)
    started = [e for e in update.events if isinstance(e, LockoutStarted)]
    assert len(started) == 1
    assert started[0].rule == Rule.DAILY_REALIZED_LOSS
    assert started[0].until == NEXT_RESET
    assert started[0].close_positions

    later = T0 + timedelta(hours=1)
    decision = decide(rules=update.state, as_of=later, s=s)
    assert decision.failed[0].rule == Rule.LOCKOUT
    assert "account.daily_realized_loss" in decision.reason

    positions = [monitored()]
    actions = monitor(positions, {"BTC/USDT": make_quote(ts=later)}, update.state, later, s)
    assert [type(a) for a in actions] == [ClosePosition]
    assert actions[0].rule == Rule.DAILY_REALIZED_LOSS

    assert decide(rules=update.state, as_of=NEXT_RESET, s=s).verdict is Verdict.APPROVED
    reset = refresh_state(update.state, NEXT_RESET, s)
    assert any(isinstance(e, LockoutEnded) for e in reset.events)
    assert reset.state.realized_pnl_today == 0
    assert reset.state.lockouts == ()


def test_daily_realized_loss_with_reject_entries_does_not_lock_or_close() -> None:
    s = settings(account={**NO_COOLDOWN, "daily_realized_loss_action": "reject_entries"})
    update = on_trade_closed(state(s), Decimal(-3_100), EQUITY - 3_100, T0, s)
    assert update.state.lockouts == ()
    assert decide(rules=update.state, s=s).failed[0].rule == Rule.DAILY_REALIZED_LOSS
    actions = monitor([monitored()], {"BTC/USDT": make_quote(ts=T0)}, update.state, T0, s)
    assert not any(isinstance(a, ClosePosition) for a in actions)


def test_evaluate_rejects_total_floating_loss_beyond_the_limit() -> None:
    folio = portfolio(exposure(unrealized_pnl=Decimal(-3_100)))
    decision = decide(folio=folio)
    failed = decision.failed[0]
    assert (failed.rule, failed.measured) == (Rule.DAILY_UNREALIZED_LOSS, "3.100%")


def test_evaluate_allows_total_floating_loss_exactly_at_the_limit() -> None:
    folio = portfolio(exposure(unrealized_pnl=Decimal(-3_000)))
    assert check(decide(folio=folio), Rule.DAILY_UNREALIZED_LOSS).passed


def test_monitor_closes_all_on_total_floating_loss_beyond_the_limit() -> None:
    s = settings(account={"position_unrealized_loss_fraction": None})
    # Two longs of 800 from 100, bid 98.05: floating loss 2 × 800 × 1.95 = 3,120 (3.12 %).
    positions = [
        monitored(open_position(position_id=f"p{k}", quantity=Decimal(800))) for k in range(2)
    ]
    quote = make_quote(bid=Decimal("98.05"), ask=Decimal("98.06"), last=Decimal("98.05"))
    actions = monitor(positions, {"BTC/USDT": quote}, state(s), T0, s)
    assert [a.rule for a in actions] == [Rule.DAILY_UNREALIZED_LOSS] * 2
    assert all(isinstance(a, ClosePosition) for a in actions)


def test_monitor_locks_out_when_the_floating_loss_action_locks() -> None:
    s = settings(
        account={
            "position_unrealized_loss_fraction": None,
            "daily_unrealized_loss_action": "close_all_and_lock",
        }
    )
    positions = [monitored(open_position(quantity=Decimal(2_000)))]
    quote = make_quote(bid=Decimal("98.4"), ask=Decimal("98.41"), last=Decimal("98.4"))
    actions = monitor(positions, {"BTC/USDT": quote}, state(s), T0, s)
    lock = actions[0]
    assert isinstance(lock, LockOut)
    assert lock.until == NEXT_RESET
    locked = apply_actions(state(s), actions, T0, s)
    assert decide(rules=locked.state, s=s).failed[0].rule == Rule.LOCKOUT


def test_profit_target_locks_entries_until_the_next_reset() -> None:
    s = settings(account={"profit_target_fraction": "0.05"})
    update = on_trade_closed(state(s), Decimal(5_100), EQUITY + 5_100, T0, s)
    lock = update.state.lockouts[0]
    assert (lock.rule, lock.until, lock.close_positions) == (
        Rule.PROFIT_TARGET,
        NEXT_RESET,
        False,
    )
    assert decide(rules=update.state, s=s).failed[0].rule == Rule.LOCKOUT
    actions = monitor([monitored()], {"BTC/USDT": make_quote()}, update.state, T0, s)
    assert not any(isinstance(a, ClosePosition) for a in actions)
    assert decide(rules=update.state, as_of=NEXT_RESET, s=s).verdict is Verdict.APPROVED


def test_profit_target_exactly_reached_does_not_lock() -> None:
    s = settings(account={"profit_target_fraction": "0.05"})
    update = on_trade_closed(state(s), Decimal(5_000), EQUITY + 5_000, T0, s)
    assert update.state.lockouts == ()
    assert check(decide(rules=update.state, s=s), Rule.PROFIT_TARGET).passed


def _trades(count: int, s: RiskSettings) -> RulesState:
    rules = state(s)
    for k in range(count):
        fill = make_fill(ts=T0 - timedelta(minutes=count - k))
        rules = on_fill(rules, fill, s, opens_position=True).state
    return rules


def test_evaluate_allows_the_twentieth_trade_of_the_window() -> None:
    s = RiskSettings()
    decision = decide(rules=_trades(19, s), s=s)
    assert check(decision, Rule.MAX_TRADES).measured == "20"
    assert decision.verdict is Verdict.APPROVED


def test_evaluate_rejects_the_twenty_first_trade_of_the_window() -> None:
    s = RiskSettings()
    decision = decide(rules=_trades(20, s), s=s)
    failed = decision.failed[0]
    assert (failed.rule, failed.measured, failed.limit) == (Rule.MAX_TRADES, "21", "20")


def test_max_trades_window_rolls_forward() -> None:
    s = RiskSettings()
    rules = _trades(20, s)
    later = T0 + timedelta(days=1) - timedelta(minutes=20)  # the oldest trade has left
    assert decide(rules=rules, as_of=later, s=s).verdict is Verdict.APPROVED


def test_fills_that_do_not_open_a_position_are_not_trades() -> None:
    s = RiskSettings()
    rules = on_fill(state(s), make_fill(ts=T0), s, opens_position=False).state
    assert rules.trade_times == ()


def test_a_small_loss_cools_down_for_thirty_minutes() -> None:
    s = RiskSettings()
    update = on_trade_closed(state(s), Decimal(-300), EQUITY - 300, T0, s)
    assert update.state.cooldown_until == T0 + timedelta(minutes=30)
    during = decide(rules=update.state, as_of=T0 + timedelta(minutes=29), s=s)
    assert during.failed[0].rule == Rule.COOLDOWN
    after = decide(rules=update.state, as_of=T0 + timedelta(minutes=30), s=s)
    assert after.verdict is Verdict.APPROVED


def test_a_bigger_loss_cools_down_longer() -> None:
    s = RiskSettings()
    update = on_trade_closed(state(s), Decimal(-1_500), EQUITY - 1_500, T0, s)
    assert update.state.cooldown_until == T0 + timedelta(hours=2)


def test_a_loss_below_the_first_tier_does_not_cool_down() -> None:
    s = RiskSettings()
    update = on_trade_closed(state(s), Decimal(-100), EQUITY - 100, T0, s)
    assert update.state.cooldown_until is None


def test_evaluate_rejects_a_blocked_symbol() -> None:
    s = settings(account={"blocked_symbols": ["BTC/USDT"]})
    failed = decide(s=s).failed[0]
    assert (failed.rule, failed.measured) == (Rule.BLOCKED_SYMBOL, "BTC/USDT")


def test_account_unable_to_trade_closes_all_and_locks_until_it_can() -> None:
    s = RiskSettings()
    down = set_account_can_trade(state(s), False, T0, s, reason="margin call").state
    assert decide(rules=down, s=s).failed[0].rule == Rule.ACCOUNT_CAN_TRADE
    positions = [monitored(open_position(position_id=f"p{k}")) for k in range(3)]
    actions = monitor(positions, {"BTC/USDT": make_quote()}, down, T0, s)
    assert [a.rule for a in actions] == [Rule.ACCOUNT_CAN_TRADE] * 3
    up = set_account_can_trade(down, True, T0 + timedelta(hours=1), s).state
    assert decide(rules=up, as_of=T0 + timedelta(hours=1), s=s).verdict is Verdict.APPROVED


def test_the_first_breach_wins_and_later_rules_are_not_evaluated() -> None:
    s = settings(account={"blocked_symbols": ["BTC/USDT"]})
    rules = set_kill_switch(state(s), True, T0, s, by="ops").state
    rules = trip_safe_mode(rules, SafeModeCause.MANUAL, "drill", T0, s).state
    decision = decide(rules=rules, s=s)
    assert [c.rule for c in decision.checks] == [Rule.KILL_SWITCH]
    assert decision.reason.startswith("venue.kill_switch:")


def test_evaluate_updates_a_stale_state_before_applying_the_rules() -> None:
    yesterday = T0 - timedelta(days=1)
    stale = state(as_of=yesterday, realized_pnl_today=Decimal(-5_000))
    assert stale.next_reset_at < T0
    assert decide(rules=stale).verdict is Verdict.APPROVED
    earlier = yesterday + timedelta(hours=1)
    same_day = decide(signal(as_of=earlier), rules=stale, as_of=earlier)
    assert same_day.failed[0].rule == Rule.DAILY_REALIZED_LOSS
