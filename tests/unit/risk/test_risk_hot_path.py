"""What the hot path computes ahead (a prepared portfolio, precomputed limit texts, constant
passing checks) changes nothing a caller can see: same checks, same texts, same decisions,
and every value is built through validation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError
from tests.unit.risk.risk_kit import (
    T0,
    exposure,
    market,
    monitored,
    open_position,
    portfolio,
    settings,
    signal,
    state,
)

from quorum.domain import Direction, RuleCheck
from quorum.domain.sessions import _inside
from quorum.risk import MoveStop, Rule, TradingSession, evaluate, monitor, set_kill_switch
from quorum.risk.money import failed, passed, rule_check, show
from quorum.risk.monitor import margin_usage
from quorum.risk.settings import PortfolioSettings, StopSettings, VenueSettings
from quorum.testing import make_quote


def test_rule_check_builders_validate_and_equal_the_constructor() -> None:
    for rule in Rule:
        expected = RuleCheck(rule=rule.value, passed=True, measured="1", limit="2", message="m")
        built = passed(rule, "1", "2", "m")
        assert type(built) is RuleCheck
        assert type(built.rule) is str
        assert built == expected
        assert built.model_dump() == expected.model_dump()
        assert built.model_fields_set == expected.model_fields_set
        assert built.model_dump_json() == expected.model_dump_json()
        refused = failed(rule, "1", "2", "why")
        assert refused == RuleCheck(
            rule=rule.value, passed=False, measured="1", limit="2", message=f"{rule}: why"
        )


def test_rule_check_builders_refuse_invalid_values() -> None:
    with pytest.raises(ValidationError):
        rule_check("", True, "1", "2", "")
    with pytest.raises(ValidationError):
        rule_check("x" * 81, True, "1", "2", "")
    with pytest.raises(ValidationError, match="rule"):
        passed("", "1", "2")  # type: ignore[arg-type]


def test_decisions_are_the_same_repeated_and_from_fresh_equal_inputs() -> None:
    s = settings(portfolio={"max_position_notional_fraction": "0.5"})
    folio = portfolio(
        exposure("ETH/USDT", notional=Decimal(4_000), risk=Decimal(200)),
        exposure("SOL/USDT", direction=Direction.SHORT, notional=Decimal(2_000)),
    )
    info = market(correlations={"ETH/USDT": 0.9, "SOL/USDT": -0.8})
    rules = state(s)
    first = evaluate(signal(), folio, info, rules, T0, s)
    again = evaluate(signal(), folio, info, rules, T0, s)
    fresh = evaluate(
        signal(),
        folio.model_validate(folio.model_dump()),
        info.model_validate(info.model_dump()),
        rules.model_validate(rules.model_dump()),
        T0,
        s.model_validate(s.model_dump()),
    )
    assert first.approved
    assert first == again == fresh
    assert first.model_dump_json() == fresh.model_dump_json()


def test_a_new_state_is_never_answered_from_an_earlier_states_gates() -> None:
    s = settings()
    folio, info = portfolio(), market()
    rules = state(s)
    assert evaluate(signal(), folio, info, rules, T0, s).approved
    stopped = set_kill_switch(rules, True, T0, s, by="ops", reason="test").state
    decision = evaluate(signal(), folio, info, stopped, T0, s)
    assert not decision.approved
    assert decision.failed[0].rule == Rule.KILL_SWITCH
    assert evaluate(signal(), folio, info, rules, T0, s).approved


def test_limit_texts_formatted_once_keep_the_configured_decimal_exponent() -> None:
    stops = StopSettings(min_reward_risk=Decimal("2.0"))
    assert stops.reward_risk_limit == f">= {show(Decimal('2.0'))}" == ">= 2.0"
    folio = PortfolioSettings(max_leverage=Decimal("3.0"), margin_buffer=Decimal("1.10"))
    assert folio.leverage_limit == "3.0x"
    assert folio.margin_what == "margin required x 1.10"
    assert VenueSettings(duplicate_window=timedelta(hours=6)).duplicate_limit == "once per 6:00:00"
    info = market(min_amount=Decimal("0.0010"), min_notional=Decimal("5.0"))
    assert (info.min_amount_limit, info.min_notional_limit) == (">= 0.0010", ">= 5.0")


def test_copies_with_changes_do_not_keep_the_originals_texts() -> None:
    stops = StopSettings()
    assert stops.reward_risk_limit == ">= 1.5"
    changed = stops.model_copy(update={"min_reward_risk": Decimal(3)})
    assert changed.reward_risk_limit == ">= 3"


def test_session_windows_by_weekday_answer_like_every_window() -> None:
    overnight = TradingSession.weekdays("America/New_York", time(18, 0), time(2, 0))
    day = TradingSession.weekdays(
        "Europe/London", time(8, 0), time(16, 30), holidays=frozenset({date(2024, 3, 12)})
    )
    whole = TradingSession.weekdays("UTC", time(0, 0), time(0, 0), days=(5, 6))
    start = datetime(2024, 3, 8, tzinfo=UTC)  # across the US and UK clock changes
    for session in (overnight, day, whole):
        for step in range(24 * 24 * 4):
            at = start + timedelta(minutes=15 * step)
            local = at.astimezone(session.tz)
            expected = local.date() not in session.holidays and any(
                _inside(w, local.weekday(), local.time()) for w in session.hours
            )
            assert session.is_open(at) is expected, (session.timezone, at)


def test_margin_usage_uses_the_same_collateral() -> None:
    mp = monitored(open_position(), leverage=Decimal(5))
    mark, pnl = Decimal(95), Decimal(-3)
    collateral = mp.entry * mp.position.quantity / mp.leverage
    expected = mark * mp.position.quantity * mp.maintenance_margin_rate / (collateral + pnl)
    assert margin_usage(mp, mark, pnl) == expected
    assert margin_usage(monitored(open_position()), mark, pnl) is None


def test_move_stops_from_the_monitor_equal_validated_ones() -> None:
    # Longs from 100 with stop 98 (1 R = 2) and ATR 1: breakeven at 102, trailing at 105.
    marks = {"S0/USDT": Decimal(102), "S1/USDT": Decimal(105), "S2/USDT": Decimal("106.37")}
    positions = [
        monitored(
            open_position(position_id=f"p{k}", symbol=symbol, take_profit=Decimal(110)),
            atr=Decimal(1),
        )
        for k, symbol in enumerate(marks)
    ]
    quotes = {s: make_quote(symbol=s, bid=m, ask=m, last=m) for s, m in marks.items()}
    s = settings()
    actions = monitor(positions, quotes, state(s), T0, s)
    moves = [a for a in actions if isinstance(a, MoveStop)]
    assert {m.rule for m in moves} == {Rule.BREAKEVEN, Rule.TRAILING_STOP}
    for move in moves:
        validated = MoveStop(**{k: getattr(move, k) for k in move.model_fields_set})
        assert move == validated
        assert move.model_fields_set == validated.model_fields_set
        assert move.model_dump_json() == validated.model_dump_json()
        assert type(move.rule) is str
        assert MoveStop.model_validate(move.model_dump()) == move


def test_every_check_of_a_full_decision_revalidates_to_itself() -> None:
    s = settings(portfolio={"max_position_notional_fraction": "0.5"})
    folio = portfolio(exposure("ETH/USDT", notional=Decimal(4_000), risk=Decimal(200)))
    decision = evaluate(signal(), folio, market(correlations={"ETH/USDT": 0.9}), state(s), T0, s)
    assert decision.approved
    assert len(decision.checks) > 30
    for check in decision.checks:
        assert type(check.rule) is str
        assert RuleCheck.model_validate(check.model_dump()) == check
    assert type(decision).model_validate_json(decision.model_dump_json()) == decision
