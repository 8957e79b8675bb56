"""Stateful property: any sequence of trades, equity marks, orders, switches and time keeps
the rules state coherent, and the gate refuses entries whenever a block is in force."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from tests.property.risk.risk_strategies import SYMBOL, T0, make_signal

from quorum.domain import Direction, Verdict
from quorum.risk import (
    MarketInfo,
    Portfolio,
    RiskEvent,
    RiskSettings,
    SafeModeTripped,
    StateUpdate,
    evaluate,
    initial_state,
    manual_reset_safe_mode,
    mark_equity,
    on_trade_closed,
    record_order,
    refresh_state,
    set_kill_switch,
)

START = Decimal(100_000)


class RulesStateMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.settings = RiskSettings()
        self.now = T0
        self.equity = START
        self.ledger = initial_state(START, T0, self.settings)
        self.pnl_today = Decimal(0)
        self.orders = 0
        self.events: list[RiskEvent] = []

    def _apply(self, update: StateUpdate) -> None:
        before = self.ledger.safe_mode
        if update.state.safe_mode is not None and before is None:
            assert any(isinstance(e, SafeModeTripped) for e in update.events)
        self.events.extend(update.events)
        self.ledger = update.state

    def _roll_model_day(self) -> None:
        if self.now >= self.ledger.next_reset_at:
            self.pnl_today = Decimal(0)

    @rule(minutes=st.integers(1, 2_000))
    def advance(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        self._roll_model_day()
        self._apply(refresh_state(self.ledger, self.now, self.settings))

    @rule(pnl=st.integers(-4_000, 3_000))
    def close_trade(self, pnl: int) -> None:
        if self.equity + pnl <= 1_000:
            return
        self.equity += pnl
        self._roll_model_day()
        self.pnl_today += pnl
        self._apply(
            on_trade_closed(self.ledger, Decimal(pnl), self.equity, self.now, self.settings)
        )

    @rule(delta=st.integers(-9_000, 5_000))
    def mark(self, delta: int) -> None:
        if self.equity + delta <= 1_000:
            return
        self.equity += delta
        self._roll_model_day()
        self._apply(mark_equity(self.ledger, self.equity, self.now, self.settings))

    @rule()
    def submit_order(self) -> None:
        self.orders += 1
        self._roll_model_day()
        self._apply(record_order(self.ledger, f"intent-{self.orders}", self.now, self.settings))

    @rule(engaged=st.booleans())
    def kill_switch(self, engaged: bool) -> None:
        self._roll_model_day()
        self._apply(set_kill_switch(self.ledger, engaged, self.now, self.settings, by="ops"))

    @rule()
    def manual_reset(self) -> None:
        self._roll_model_day()
        self._apply(
            manual_reset_safe_mode(self.ledger, self.now, self.settings, authorized_by="ops")
        )

    @invariant()
    def day_window_contains_now(self) -> None:
        current = refresh_state(self.ledger, self.now, self.settings).state
        assert current.day_started_at <= self.now < current.next_reset_at
        assert current.month_started_at <= self.now < current.next_month_at
        assert current.last_equity <= current.day_peak_equity <= current.month_peak_equity

    @invariant()
    def realized_pnl_is_todays_sum(self) -> None:
        self._roll_model_day()
        current = refresh_state(self.ledger, self.now, self.settings).state
        assert current.realized_pnl_today == self.pnl_today

    @invariant()
    def gate_refuses_entries_while_blocked(self) -> None:
        current = refresh_state(self.ledger, self.now, self.settings).state
        signal = make_signal(Direction.LONG, Decimal(100), Decimal("0.02"), Decimal(2), 0.7)
        signal = signal.model_copy(update={"as_of": self.now})
        market = MarketInfo(
            symbol=SYMBOL,
            amount_step=Decimal("0.001"),
            price_tick=Decimal("0.01"),
            reference_price=Decimal(100),
        )
        folio = Portfolio(equity=self.equity, margin_available=self.equity)
        decision = evaluate(signal, folio, market, self.ledger, self.now, self.settings)
        blocked = (
            current.kill_switch is not None
            or current.safe_mode is not None
            or not current.account_can_trade
            or bool(current.active_lockouts(self.now))
            or (current.cooldown_until is not None and self.now < current.cooldown_until)
        )
        if blocked:
            assert decision.verdict is Verdict.REJECTED
        if decision.verdict is not Verdict.REJECTED:
            assert current.safe_mode is None
            assert current.kill_switch is None


RulesStateMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_rules_state_machine = RulesStateMachine.TestCase
