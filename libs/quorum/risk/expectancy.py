"""Expected value of a trade after fees and estimated slippage.

With ``p`` the calibrated probability that the take-profit fills before the stop:

    gain = |tp - entry| - entry × (entry fee + slippage) - tp × take-profit fee
    loss = |entry - stop| + entry × (entry fee + slippage) + stop × (stop fee + slippage)
    EV   = p × gain - (1 - p) × loss           (per unit; > minimum × R to pass)
"""

from __future__ import annotations

from decimal import Decimal

from quorum.domain import RuleCheck
from quorum.risk.money import ONE, failed, passed, show, to_decimal
from quorum.risk.rules import Rule
from quorum.risk.settings import ExpectancySettings


def net_expected_value(
    entry: Decimal,
    stop: Decimal,
    take_profit: Decimal,
    probability: Decimal,
    *,
    entry_fee: Decimal,
    take_profit_fee: Decimal,
    stop_fee: Decimal,
    slippage: Decimal,
) -> Decimal:
    """Expected profit per unit after fees and slippage (negative: a losing proposition)."""
    entry_cost = entry * (entry_fee + slippage)
    gain = abs(take_profit - entry) - entry_cost - take_profit * take_profit_fee
    loss = abs(entry - stop) + entry_cost + stop * (stop_fee + slippage)
    return probability * gain - (ONE - probability) * loss


def check_expected_value(
    entry: Decimal,
    stop: Decimal,
    take_profit: Decimal | None,
    confidence: float,
    costs: ExpectancySettings,
    *,
    entry_fee: Decimal,
    take_profit_fee: Decimal,
    stop_fee: Decimal,
    slippage: Decimal,
) -> RuleCheck:
    limit = costs.expected_value_limit
    minimum_r = costs.min_expected_value_r
    if take_profit is None:
        return passed(Rule.EXPECTED_VALUE, "n/a (no take-profit)", limit)
    ev = net_expected_value(
        entry,
        stop,
        take_profit,
        to_decimal(confidence),
        entry_fee=entry_fee,
        take_profit_fee=take_profit_fee,
        stop_fee=stop_fee,
        slippage=slippage,
    )
    ev_r = ev / abs(entry - stop)
    measured = f"{ev_r:.4f} R"
    if ev_r <= minimum_r:
        return failed(
            Rule.EXPECTED_VALUE,
            measured,
            limit,
            f"net expected value {ev_r:.4f} R ({show(ev)} per unit) after fees and slippage "
            f"is not above {show(minimum_r)} R",
        )
    return passed(Rule.EXPECTED_VALUE, measured, limit)
