"""The risk gate: ``evaluate`` decides whether a Signal may trade and how big.

Pure: values in, a :class:`~quorum.domain.RiskDecision` out; no I/O, no clock reads
(time comes in as ``as_of``). Rules run in a fixed order and the first breach wins;
``checks`` holds every RuleCheck evaluated up to and including it. A rejection is a
value, never an exception; only programmer errors (naive ``as_of``, a market for another
symbol, a signal from after ``as_of``, a portfolio prepared under other settings) raise.

Order: global gates (kill switch, SAFE_MODE, drawdown, account can trade, lockouts,
blocked symbol, session, daily loss / profit limits, trades per window, cooldown,
duplicate intent, order rate) → stop sanity (distance, take-profit, reward:risk),
price collar, leverage, net expected value → sizing (risk budget, Kelly) → size caps
(position risk, position notional, correlation bucket, total exposure, margin, venue
order quantity and notional) → exchange minimums → worst-case loss.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal

from quorum.domain import Liquidity, RiskDecision, RuleCheck, Signal, Verdict
from quorum.risk import account, drawdown, venue
from quorum.risk.expectancy import check_expected_value
from quorum.risk.inputs import MarketInfo, Portfolio
from quorum.risk.lifecycle import refresh_state
from quorum.risk.money import (
    ZERO,
    failed,
    floor_to_step,
    min_tradable,
    passed,
    pct,
    show,
    worst_case_loss_per_unit,
)
from quorum.risk.portfolio import check_leverage, portfolio_caps, side_plan
from quorum.risk.prepared import MarketPlan, PreparedPortfolio, prepared_for
from quorum.risk.rules import Rule
from quorum.risk.settings import RiskSettings
from quorum.risk.sizing import quantity_for_risk, risk_fraction
from quorum.risk.state import RulesState
from quorum.risk.stops import (
    check_reward_risk,
    check_stop_distance,
    check_take_profit,
    check_worst_case_loss,
)


def _reject(signal: Signal, as_of: datetime, checks: list[RuleCheck]) -> RiskDecision:
    return RiskDecision(
        symbol=signal.symbol,
        as_of=as_of,
        verdict=Verdict.REJECTED,
        quantity=ZERO,
        checks=tuple(checks),
        reason=checks[-1].message,
    )


def _gates(
    signal: Signal,
    portfolio: PreparedPortfolio,
    plan: MarketPlan | None,
    state: RulesState,
    as_of: datetime,
    settings: RiskSettings,
) -> Iterator[RuleCheck]:
    """Global and account gates, in order (lazily, so the first failure stops the rest)."""
    acct = settings.account
    symbol = signal.symbol
    yield venue.check_kill_switch(state)
    yield drawdown.check_safe_mode(state)
    gates = portfolio.gates_for(state)
    yield from gates.drawdowns
    yield account.check_can_trade(state)
    yield account.check_lockouts(state, as_of)
    if plan is None:
        yield account.check_blocked_symbol(symbol, acct)
        yield account.check_session(symbol, as_of, acct)
    else:
        yield plan.blocked
        yield account.check_session(symbol, as_of, acct, plan.session_open)
    yield from gates.limits
    yield account.check_max_trades(state, as_of, acct)
    yield account.check_cooldown(state, as_of)
    yield venue.check_duplicate_intent(venue.entry_intent_id(signal), state, as_of, settings.venue)
    yield venue.check_order_rate(state, as_of, settings.venue)


def _fee(liquidity: Liquidity, market: MarketInfo) -> Decimal:
    return market.maker_fee if liquidity is Liquidity.MAKER else market.taker_fee


def _signal_checks(
    signal: Signal, market: MarketInfo, settings: RiskSettings
) -> Iterator[RuleCheck]:
    """Stop sanity, price collar, leverage and net expected value of the signal itself."""
    entry, stop, tp, direction = (
        signal.entry,
        signal.stop_loss,
        signal.take_profit,
        signal.direction,
    )
    costs = settings.expectancy
    yield check_stop_distance(direction, entry, stop, settings.stops)
    yield check_take_profit(direction, entry, tp, settings.stops)
    yield check_reward_risk(entry, stop, tp, settings.stops)
    yield venue.check_price_collar(entry, market.reference_price, settings.venue)
    yield check_leverage(signal.leverage, settings.portfolio)
    yield check_expected_value(
        entry,
        stop,
        tp,
        signal.confidence,
        costs,
        entry_fee=_fee(costs.entry_liquidity, market),
        take_profit_fee=_fee(costs.take_profit_liquidity, market),
        stop_fee=market.taker_fee,
        slippage=market.slippage,
    )


def _run(checks: list[RuleCheck], steps: Iterable[RuleCheck]) -> bool:
    """Record checks in order; False at the first failure (the rest are not evaluated)."""
    for check in steps:
        checks.append(check)
        if not check.passed:
            return False
    return True


def evaluate(
    signal: Signal,
    portfolio: PreparedPortfolio | Portfolio,
    market: MarketInfo,
    rules_state: RulesState,
    as_of: datetime,
    settings: RiskSettings,
) -> RiskDecision:
    """Decide whether ``signal`` may open a position now, and its quantity.

    ``portfolio`` is best prepared once per snapshot with :func:`prepare_portfolio` and
    reused for every signal against it; a plain :class:`Portfolio` is prepared per call.
    A portfolio prepared under other (unequal) risk settings raises ValueError."""
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError(f"as_of: must be timezone-aware (got {as_of.isoformat()})")
    if signal.symbol != market.symbol:
        raise ValueError(f"market: is for {market.symbol}, the signal for {signal.symbol}")
    if signal.as_of > as_of:
        raise ValueError(
            f"signal.as_of: {signal.as_of.isoformat()} is after as_of {as_of.isoformat()} "
            "(a decision cannot use a signal from the future)"
        )
    prepared = prepared_for(portfolio, settings)
    state = rules_state
    if as_of >= state.next_reset_at or as_of >= state.next_month_at:
        state = refresh_state(rules_state, as_of, settings).state

    plan = prepared.plan_for(market)
    checks: list[RuleCheck] = []
    if not _run(checks, _gates(signal, prepared, plan, state, as_of, settings)):
        return _reject(signal, as_of, checks)
    if not _run(checks, _signal_checks(signal, market, settings)):
        return _reject(signal, as_of, checks)
    return _size(signal, prepared, plan, market, as_of, settings, checks)


def _size(
    signal: Signal,
    portfolio: PreparedPortfolio,
    plan: MarketPlan | None,
    market: MarketInfo,
    as_of: datetime,
    settings: RiskSettings,
    checks: list[RuleCheck],
) -> RiskDecision:
    entry = signal.entry
    step = market.amount_step
    loss_per_unit = worst_case_loss_per_unit(
        signal.direction,
        entry,
        signal.stop_loss,
        entry_slippage=market.slippage,
        stop_buffer=max(settings.stops.stop_slippage_buffer, market.slippage),
        entry_fee=_fee(settings.expectancy.entry_liquidity, market),
        exit_fee=market.taker_fee,
    )
    minimum = min_tradable(market.min_amount, market.min_notional, entry, step)
    budgets = _budget(signal, portfolio, loss_per_unit, minimum, settings, checks)
    if budgets is None:
        return _reject(signal, as_of, checks)
    full_budget, budget = budgets
    if plan is None:
        side = side_plan(portfolio.sides, market, signal.direction, settings.portfolio)
        limits = venue.order_limits(market, settings.venue)
    else:
        side, limits = plan.side(signal.direction), plan.order
    caps = [
        *portfolio_caps(
            portfolio,
            market.symbol,
            side,
            entry,
            loss_per_unit,
            signal.leverage,
            settings.portfolio,
        ),
        *venue.order_caps(limits, entry),
    ]
    quantity = quantity_for_risk(budget, loss_per_unit)
    binding: list[str] = [] if budget == full_budget else [Rule.KELLY]
    resized_from: dict[Rule, Decimal] = {}
    for index, cap in enumerate(caps):
        room = cap.max_quantity()
        if room < minimum:  # ``minimum`` is a step multiple: same as flooring room first
            checks.extend(c.check(quantity, resized_from.get(c.rule)) for c in caps[:index])
            checks.append(cap.no_room(room, minimum))
            return _reject(signal, as_of, checks)
        if room < quantity:
            resized_from[cap.rule] = quantity
            binding.append(cap.rule)
            quantity = room
    quantity = floor_to_step(quantity, step)
    checks.extend(cap.check(quantity, resized_from.get(cap.rule)) for cap in caps)
    shown = show(quantity)
    worst = check_worst_case_loss(quantity * loss_per_unit, budget)
    final = (
        _check_min_amount(quantity, shown, market),
        _check_min_notional(quantity, entry, market),
        worst,
    )
    if not _run(checks, final):
        return _reject(signal, as_of, checks)

    full = floor_to_step(quantity_for_risk(full_budget, loss_per_unit), step)
    if quantity < full:
        verdict = Verdict.RESIZED
        reason = f"resized from {show(full)} to {shown} by {', '.join(binding)}"
    else:
        verdict = Verdict.APPROVED
        # The worst-case check passed, so it measured show(quantity × loss per unit).
        reason = f"approved {shown} risking {worst.measured}"
    return RiskDecision(
        symbol=signal.symbol,
        as_of=as_of,
        verdict=verdict,
        quantity=quantity,
        checks=tuple(checks),
        reason=reason,
    )


def _budget(
    signal: Signal,
    portfolio: PreparedPortfolio,
    loss_per_unit: Decimal,
    minimum: Decimal,
    settings: RiskSettings,
    checks: list[RuleCheck],
) -> tuple[Decimal, Decimal] | None:
    """``(confidence budget, budget after the Kelly cap)`` in money, or None when rejected."""
    sizing = settings.sizing
    equity = portfolio.equity
    fraction = risk_fraction(signal.confidence, sizing)
    fraction_text = pct(fraction)
    budget = equity * fraction
    checks.append(
        passed(
            Rule.RISK_BUDGET,
            fraction_text,
            sizing.risk_budget_limit,
            f"risk {show(budget)} at confidence {signal.confidence:.3f}",
        )
    )
    cap = portfolio.kelly_for(signal.strategy)
    kelly, kelly_text = cap.cap, cap.text
    if kelly is None:
        checks.append(passed(Rule.KELLY, "no statistics", "off"))
        return budget, budget
    if kelly <= 0:
        checks.append(failed(Rule.KELLY, kelly_text, "> 0", "trade statistics show no edge"))
        return None
    if kelly >= fraction:
        checks.append(passed(Rule.KELLY, fraction_text, kelly_text))
        return budget, budget
    capped = equity * kelly
    room = quantity_for_risk(capped, loss_per_unit)
    if room < minimum:
        checks.append(
            failed(
                Rule.KELLY,
                fraction_text,
                kelly_text,
                f"the Kelly cap {kelly_text} leaves {show(room)} units, below the minimum "
                f"order {show(minimum)}",
            )
        )
        return None
    checks.append(passed(Rule.KELLY, fraction_text, kelly_text, "risk reduced to the Kelly cap"))
    return budget, capped


def _check_min_amount(quantity: Decimal, shown: str, market: MarketInfo) -> RuleCheck:
    """``shown`` is ``show(quantity)``, formatted once by the caller."""
    limit = market.min_amount_limit
    if quantity <= 0 or quantity < market.min_amount:
        return failed(
            Rule.MIN_AMOUNT,
            shown,
            limit,
            f"quantity {shown} (rounded down to step {show(market.amount_step)}) "
            f"is below the minimum amount {show(market.min_amount)}",
        )
    return passed(Rule.MIN_AMOUNT, shown, limit)


def _check_min_notional(quantity: Decimal, entry: Decimal, market: MarketInfo) -> RuleCheck:
    notional = quantity * entry
    limit = market.min_notional_limit
    if notional < market.min_notional:
        return failed(
            Rule.MIN_NOTIONAL,
            show(notional),
            limit,
            f"notional {show(notional)} is below the minimum notional {show(market.min_notional)}",
        )
    return passed(Rule.MIN_NOTIONAL, show(notional), limit)
