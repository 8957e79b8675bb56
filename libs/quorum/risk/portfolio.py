"""Portfolio limits: single-position share, correlation bucket, total exposure, leverage
and margin.

Each size limit is a :class:`Cap`: ``used + per_unit × quantity <= limit``. The engine
sizes the order to the tightest cap (a resize) and rejects only when a cap leaves no room
for the exchange's minimum order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from quorum.domain import Direction, RuleCheck
from quorum.risk.inputs import MarketInfo, Portfolio
from quorum.risk.memo import IdentityMemo
from quorum.risk.money import (
    ZERO,
    failed,
    limit_pct,
    passed,
    passed_coarse,
    passed_once,
    pct,
    show,
)
from quorum.risk.rules import Rule
from quorum.risk.settings import PortfolioSettings


class Cap(NamedTuple):
    """A linear size limit: ``used + per_unit × quantity <= limit``."""

    rule: Rule
    used: Decimal
    per_unit: Decimal
    limit: Decimal
    base: Decimal | None
    """When set, amounts are shown as shares of ``base`` (equity); else as amounts."""
    limit_text: str
    what: str

    def max_quantity(self) -> Decimal:
        return (self.limit - self.used) / self.per_unit

    def render(self, amount: Decimal) -> str:
        return show(amount) if self.base is None else pct(amount / self.base)

    def check(self, quantity: Decimal, resized_from: Decimal | None) -> RuleCheck:
        """The passing RuleCheck at the final ``quantity`` (noting a resize it caused)."""
        if self.limit.is_infinite():
            return passed(self.rule, "off", self.limit_text)
        amount = self.used + self.per_unit * quantity
        if resized_from is None:
            if self.base is None:
                return passed_once(self.rule, show(amount), self.limit_text)
            return passed_coarse(self.rule, pct(amount / self.base), self.limit_text)
        measured = self.render(amount)
        note = f"size reduced from {show(resized_from)} to fit"
        return passed_once(self.rule, measured, self.limit_text, note)

    def no_room(self, room: Decimal, minimum: Decimal) -> RuleCheck:
        used = self.render(self.used)
        return failed(
            self.rule,
            used,
            self.limit_text,
            f"{self.what} already at {used} of {self.limit_text}; room for "
            f"{show(max(room, ZERO))} units is below the minimum order {show(minimum)}",
        )


def amount_cap(rule: Rule, used: Decimal, per_unit: Decimal, limit: Decimal, what: str) -> Cap:
    """A cap at an absolute ``limit`` (infinite = not configured), shown as an amount."""
    text = "unlimited" if limit.is_infinite() else show(limit)
    return Cap(rule, used, per_unit, limit, None, text, what)


class Bucket(NamedTuple):
    """Open exposure that counts together with a new position (same symbol or correlated)."""

    notional: Decimal
    risk: Decimal
    members: int
    max_correlation: float


def correlation_bucket(
    portfolio: Portfolio,
    market: MarketInfo,
    direction: Direction,
    settings: PortfolioSettings,
) -> Bucket:
    """Open exposure in the same symbol (either side) plus every open position whose
    direction-adjusted return correlation with the new one exceeds the limit: a same-side
    position with correlation > limit, or an opposite-side one with correlation < -limit."""
    limit = settings.correlation_limit
    sides = portfolio.by_symbol_side
    is_long = direction is Direction.LONG
    notional = risk = ZERO
    members = 0
    top = 0.0
    own = sides.get(market.symbol)
    if own is not None:
        notional, risk = own[0] + own[2], own[1] + own[3]
        members, top = 1, 1.0
    strong: list[tuple[str, float]] = []
    for strength, symbol, corr in market.ranked_correlations:
        if strength <= limit:
            break
        strong.append((symbol, corr))
    unknown = settings.unknown_correlation
    if not -limit <= unknown <= limit:  # unknown correlations count as strong ones
        strong += [(s, unknown) for s in sides if s not in market.correlations]
    for symbol, corr in strong:
        held = sides.get(symbol)
        if held is None or symbol == market.symbol:
            continue
        long_side = (corr > 0) is is_long
        side_notional, side_risk = (held[0], held[1]) if long_side else (held[2], held[3])
        if side_notional or side_risk:
            notional += side_notional
            risk += side_risk
            members += 1
            top = max(top, abs(corr))
    return Bucket(notional, risk, members, top)


def check_leverage(leverage: Decimal, settings: PortfolioSettings) -> RuleCheck:
    limit = settings.leverage_limit
    if leverage > settings.max_leverage:
        return failed(
            Rule.LEVERAGE,
            f"{show(leverage)}x",
            limit,
            f"leverage {show(leverage)}x exceeds the maximum {limit}",
        )
    return passed(Rule.LEVERAGE, f"{show(leverage)}x", limit)


class _Plan(NamedTuple):
    """Everything about a new position's portfolio caps that does not depend on the signal's
    prices: open exposure it stacks on, the limits in money and their texts."""

    own_notional: Decimal
    own_risk: Decimal
    bucket: Bucket
    risk_what: str
    notional_what: str
    risk_limit: Decimal
    notional_limit: Decimal
    total_limit: Decimal
    risk_text: str
    notional_text: str
    total_text: str
    margin_text: str


_PLANS: IdentityMemo[_Plan] = IdentityMemo(maxsize=1_024)


def _plan(
    portfolio: Portfolio, market: MarketInfo, direction: Direction, settings: PortfolioSettings
) -> _Plan:
    """``_Plan`` for one (portfolio, market, direction, settings), computed once per combination."""
    key = (id(portfolio), id(market), direction, id(settings))
    plan = _PLANS.get(key)
    if plan is None:
        equity = portfolio.equity
        own_notional, own_risk = portfolio.symbol_totals(market.symbol)
        bucket = correlation_bucket(portfolio, market, direction, settings)
        members = f"{bucket.members} positions, max corr {bucket.max_correlation:.2f}"
        margin = portfolio.margin_available
        plan = _PLANS.put(
            key,
            (portfolio, market, settings),
            _Plan(
                own_notional,
                own_risk,
                bucket,
                f"correlated risk ({members})",
                f"correlated notional ({members})",
                equity * settings.max_position_risk_fraction,
                equity * settings.max_position_notional_fraction,
                equity * settings.max_total_exposure_fraction,
                limit_pct(settings.max_position_risk_fraction),
                limit_pct(settings.max_position_notional_fraction),
                limit_pct(settings.max_total_exposure_fraction),
                "unlimited" if margin.is_infinite() else show(margin),
            ),
        )
    return plan


def portfolio_caps(
    portfolio: Portfolio,
    market: MarketInfo,
    direction: Direction,
    entry: Decimal,
    loss_per_unit: Decimal,
    leverage: Decimal,
    settings: PortfolioSettings,
) -> tuple[Cap, ...]:
    """Position risk, position notional, correlation bucket, total exposure and margin caps."""
    equity = portfolio.equity
    plan = _plan(portfolio, market, direction, settings)
    bucket = plan.bucket
    risk_limit, notional_limit = plan.risk_limit, plan.notional_limit
    # The bucket binds through whichever of its two limits leaves less room.
    by_risk = (risk_limit - bucket.risk) / loss_per_unit
    by_notional = (notional_limit - bucket.notional) / entry
    # Caps are built with ``tuple.__new__`` (``Cap(*fields)`` minus its Python frame).
    if by_risk < by_notional:
        correlated = (bucket.risk, loss_per_unit, risk_limit, plan.risk_text, plan.risk_what)
    else:
        correlated = (
            bucket.notional,
            entry,
            notional_limit,
            plan.notional_text,
            plan.notional_what,
        )
    used, per_unit, limit, text, what = correlated
    risk, notional = plan.risk_text, plan.notional_text
    return (
        _tuple_new(
            Cap,
            (
                Rule.POSITION_RISK,
                plan.own_risk,
                loss_per_unit,
                risk_limit,
                equity,
                risk,
                "position risk",
            ),
        ),
        _tuple_new(
            Cap,
            (
                Rule.POSITION_NOTIONAL,
                plan.own_notional,
                entry,
                notional_limit,
                equity,
                notional,
                "position notional",
            ),
        ),
        _tuple_new(Cap, (Rule.CORRELATION, used, per_unit, limit, equity, text, what)),
        _tuple_new(
            Cap,
            (
                Rule.TOTAL_EXPOSURE,
                portfolio.total_notional,
                entry,
                plan.total_limit,
                equity,
                plan.total_text,
                "total exposure",
            ),
        ),
        _tuple_new(
            Cap,
            (
                Rule.MARGIN,
                ZERO,
                entry / leverage * settings.margin_buffer,
                portfolio.margin_available,
                None,
                plan.margin_text,
                settings.margin_what,
            ),
        ),
    )


_tuple_new: Any = tuple.__new__
