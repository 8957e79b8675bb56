"""The gate for exits and protective orders.

Risk-reducing orders (an exit-side order for at most the open quantity) are allowed even
in SAFE_MODE and under the kill switch; a stop amendment must never loosen the working
stop. Entries (new or amended) go through :func:`quorum.risk.evaluate`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from quorum.domain import (
    Direction,
    OrderIntent,
    OrderLeg,
    Position,
    PositionState,
    RiskDecision,
    RuleCheck,
    Verdict,
)
from quorum.risk.money import ZERO, failed, passed, show
from quorum.risk.rules import Rule


def _reject(intent: OrderIntent, as_of: datetime, checks: list[RuleCheck]) -> RiskDecision:
    return RiskDecision(
        symbol=intent.symbol,
        as_of=as_of,
        verdict=Verdict.REJECTED,
        quantity=ZERO,
        checks=tuple(checks),
        reason=checks[-1].message,
    )


def is_risk_reducing(intent: OrderIntent, position: Position | None) -> bool:
    """True when ``intent`` can only shrink ``position``: an exit-side, non-entry order in the
    same symbol for at most the open quantity."""
    if position is None or position.state not in (PositionState.ACTIVE, PositionState.EXITING):
        return False
    return (
        intent.leg is not OrderLeg.ENTRY
        and intent.symbol == position.symbol
        and intent.side is position.direction.exit_side
        and intent.quantity <= position.quantity
    )


def evaluate_exit(
    intent: OrderIntent,
    position: Position | None,
    as_of: datetime,
    current_stop: Decimal | None = None,
) -> RiskDecision:
    """The gate for exit and protective orders: allowed in SAFE_MODE and under the kill
    switch when risk-reducing; a stop amendment must not loosen the working stop
    (``current_stop``, default ``position.stop_loss``)."""
    checks: list[RuleCheck] = []
    reducing = is_risk_reducing(intent, position)
    held = "none" if position is None else f"{position.direction} {show(position.quantity)}"
    measured = f"{intent.side} {show(intent.quantity)} ({intent.leg})"
    if not reducing:
        checks.append(
            failed(
                Rule.RISK_REDUCING,
                measured,
                f"exit of at most {held}",
                f"{intent.leg} {intent.side} {show(intent.quantity)} {intent.symbol} does not "
                f"reduce the open position ({held}); entries go through evaluate()",
            )
        )
        return _reject(intent, as_of, checks)
    checks.append(passed(Rule.RISK_REDUCING, measured, f"exit of at most {held}"))
    assert position is not None
    if intent.leg is OrderLeg.STOP_LOSS and intent.stop_price is not None:
        working = position.stop_loss if current_stop is None else current_stop
        new = intent.stop_price
        long = position.direction is Direction.LONG
        loosens = new < working if long else new > working
        side = "at or above" if long else "at or below"
        if loosens:
            checks.append(
                failed(
                    Rule.STOP_LOOSENED,
                    show(new),
                    f"{side} {show(working)}",
                    f"stop {show(new)} would loosen the working stop {show(working)}",
                )
            )
            return _reject(intent, as_of, checks)
        checks.append(passed(Rule.STOP_LOOSENED, show(new), f"{side} {show(working)}"))
    return RiskDecision(
        symbol=intent.symbol,
        as_of=as_of,
        verdict=Verdict.APPROVED,
        quantity=intent.quantity,
        checks=tuple(checks),
        reason="risk-reducing order",
    )
