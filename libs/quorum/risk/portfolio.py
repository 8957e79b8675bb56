"""Portfolio limits: single-position share, correlation bucket, total exposure, leverage
and margin.

Each size limit is a :class:`Cap`: ``used + per_unit × quantity <= limit``. The engine
sizes the order to the tightest cap (a resize) and rejects only when a cap leaves no room
for the exchange's minimum order.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from quorum.domain import Direction, RuleCheck
from quorum.risk.inputs import MarketInfo, SideTotals
from quorum.risk.money import (
    ZERO,
    failed,
    passed,
    pct,
    show,
)
from quorum.risk.rules import Rule
from quorum.risk.settings import PortfolioSettings

if TYPE_CHECKING:
    from quorum.risk.prepared import PreparedPortfolio


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
                return passed(self.rule, show(amount), self.limit_text)
            return passed(self.rule, pct(amount / self.base), self.limit_text)
        measured = self.render(amount)
        note = f"size reduced from {show(resized_from)} to fit"
        return passed(self.rule, measured, self.limit_text, note)

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
    sides: Mapping[str, SideTotals],
    market: MarketInfo,
    direction: Direction,
    settings: PortfolioSettings,
) -> Bucket:
    """Open exposure in the same symbol (either side) plus every open position whose
    direction-adjusted return correlation with the new one exceeds the limit: a same-side
    position with correlation > limit, or an opposite-side one with correlation < -limit."""
    limit = settings.correlation_limit
    is_long = direction is Direction.LONG
    notional = risk = ZERO
    members = 0
    top = 0.0
    own = sides.get(market.symbol)
    if own is not None:
        notional, risk = own.totals()
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
        side_notional, side_risk = (
            (held.long_notional, held.long_risk)
            if long_side
            else (held.short_notional, held.short_risk)
        )
        if side_notional or side_risk:
            notional += side_notional
            risk += side_risk
            members += 1
            top = max(top, abs(corr))
    return Bucket(notional, risk, members, top)


class SidePlan(NamedTuple):
    """A new position's correlation bucket in one direction, with its texts."""

    bucket: Bucket
    risk_what: str
    notional_what: str


def side_plan(
    sides: Mapping[str, SideTotals],
    market: MarketInfo,
    direction: Direction,
    settings: PortfolioSettings,
) -> SidePlan:
    """The bucket a new ``direction`` position in ``market`` joins, described once."""
    bucket = correlation_bucket(sides, market, direction, settings)
    members = f"{bucket.members} positions, max corr {bucket.max_correlation:.2f}"
    return SidePlan(bucket, f"correlated risk ({members})", f"correlated notional ({members})")


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


def portfolio_caps(
    portfolio: PreparedPortfolio,
    symbol: str,
    side: SidePlan,
    entry: Decimal,
    loss_per_unit: Decimal,
    leverage: Decimal,
    settings: PortfolioSettings,
) -> tuple[Cap, ...]:
    """Position risk, position notional, correlation bucket, total exposure and margin caps
    of a new position in ``symbol`` whose correlation bucket is ``side``."""
    equity = portfolio.equity
    own_notional, own_risk = portfolio.symbol_totals(symbol)
    bucket = side.bucket
    risk_limit, notional_limit = portfolio.risk_limit, portfolio.notional_limit
    risk_text, notional_text = portfolio.risk_text, portfolio.notional_text
    # The bucket binds through whichever of its two limits leaves less room.
    by_risk = (risk_limit - bucket.risk) / loss_per_unit
    by_notional = (notional_limit - bucket.notional) / entry
    if by_risk < by_notional:
        correlated = Cap(
            Rule.CORRELATION,
            bucket.risk,
            loss_per_unit,
            risk_limit,
            equity,
            risk_text,
            side.risk_what,
        )
    else:
        correlated = Cap(
            Rule.CORRELATION,
            bucket.notional,
            entry,
            notional_limit,
            equity,
            notional_text,
            side.notional_what,
        )
    return (
        Cap(
            Rule.POSITION_RISK,
            own_risk,
            loss_per_unit,
            risk_limit,
            equity,
            risk_text,
            "position risk",
        ),
        Cap(
            Rule.POSITION_NOTIONAL,
            own_notional,
            entry,
            notional_limit,
            equity,
            notional_text,
            "position notional",
        ),
        correlated,
        Cap(
            Rule.TOTAL_EXPOSURE,
            portfolio.total_notional,
            entry,
            portfolio.total_limit,
            equity,
            portfolio.total_text,
            "total exposure",
        ),
        Cap(
            Rule.MARGIN,
            ZERO,
            entry / leverage * settings.margin_buffer,
            portfolio.margin_available,
            None,
            portfolio.margin_text,
            settings.margin_what,
        ),
    )
