"""Stop sanity before a trade, and the ATR-based initial stop.

A stop is mandatory (the ``Signal`` model requires one); its distance must lie inside
the configured band of entry, the take-profit must sit on the winning side, and
reward:risk must reach the minimum.
"""

from __future__ import annotations

from decimal import Decimal

from quorum.domain import Direction, RuleCheck
from quorum.risk.money import (
    failed,
    passed,
    pct,
    round_to_tick,
    show,
)
from quorum.risk.rules import Rule
from quorum.risk.settings import StopSettings


def stop_fraction(direction: Direction, entry: Decimal, stop: Decimal) -> Decimal:
    """Signed stop distance as a share of entry: positive when the stop is on the losing side."""
    move = entry - stop if direction is Direction.LONG else stop - entry
    return move / entry


def check_stop_distance(
    direction: Direction, entry: Decimal, stop: Decimal, settings: StopSettings
) -> RuleCheck:
    distance = stop_fraction(direction, entry, stop)
    limit = settings.stop_distance_limit
    if distance <= 0:
        side = "below" if direction is Direction.LONG else "above"
        return failed(
            Rule.STOP_DISTANCE,
            pct(distance),
            limit,
            f"stop {show(stop)} must be {side} entry {show(entry)} for a {direction}",
        )
    if distance < settings.min_stop_fraction:
        return failed(
            Rule.STOP_DISTANCE, pct(distance), limit, f"stop {pct(distance)} of entry is too tight"
        )
    if distance > settings.max_stop_fraction:
        return failed(
            Rule.STOP_DISTANCE, pct(distance), limit, f"stop {pct(distance)} of entry is too wide"
        )
    return passed(Rule.STOP_DISTANCE, pct(distance), limit)


def check_take_profit(
    direction: Direction, entry: Decimal, take_profit: Decimal | None, settings: StopSettings
) -> RuleCheck:
    side = "above" if direction is Direction.LONG else "below"
    if take_profit is None:
        if settings.require_take_profit:
            return failed(Rule.TAKE_PROFIT, "none", f"{side} entry", "a take-profit is required")
        return passed(Rule.TAKE_PROFIT, "none", "optional")
    right = take_profit > entry if direction is Direction.LONG else take_profit < entry
    if not right:
        return failed(
            Rule.TAKE_PROFIT,
            show(take_profit),
            f"{side} {show(entry)}",
            f"take-profit {show(take_profit)} must be {side} entry {show(entry)} for a {direction}",
        )
    return passed(Rule.TAKE_PROFIT, show(take_profit), f"{side} {show(entry)}")


def reward_risk(entry: Decimal, stop: Decimal, take_profit: Decimal) -> Decimal:
    return abs(take_profit - entry) / abs(entry - stop)


def check_reward_risk(
    entry: Decimal, stop: Decimal, take_profit: Decimal | None, settings: StopSettings
) -> RuleCheck:
    limit = settings.reward_risk_limit
    if take_profit is None:
        return passed(Rule.REWARD_RISK, "n/a (no take-profit)", limit)
    ratio = reward_risk(entry, stop, take_profit)
    if ratio < settings.min_reward_risk:
        return failed(
            Rule.REWARD_RISK,
            f"{ratio:.4f}",
            limit,
            f"reward:risk {ratio:.4f} is below {show(settings.min_reward_risk)}",
        )
    return passed(Rule.REWARD_RISK, f"{ratio:.4f}", limit)


def check_worst_case_loss(loss: Decimal, budget: Decimal) -> RuleCheck:
    """The final order's worst-case loss (stop buffer and fees included) within the budget."""
    if loss > budget:
        return failed(
            Rule.WORST_CASE_LOSS,
            show(loss),
            f"<= {show(budget)}",
            f"worst-case loss {show(loss)} exceeds the per-trade risk {show(budget)}",
        )
    return passed(Rule.WORST_CASE_LOSS, show(loss), f"<= {show(budget)}")


def atr_stop(
    direction: Direction,
    entry: Decimal,
    atr: Decimal,
    multiple: Decimal,
    settings: StopSettings,
    tick: Decimal | None = None,
) -> Decimal:
    """Initial stop ``multiple × ATR`` from entry, clamped into the allowed distance band.

    Rounded to ``tick`` away from entry when given, then pulled back inside the band.
    """
    distance = min(
        max(atr * multiple / entry, settings.min_stop_fraction), settings.max_stop_fraction
    )
    if direction is Direction.LONG:
        stop = entry * (1 - distance)
        if tick is not None:
            stop = round_to_tick(stop, tick, up=False)
            if (entry - stop) / entry > settings.max_stop_fraction:
                stop += tick
    else:
        stop = entry * (1 + distance)
        if tick is not None:
            stop = round_to_tick(stop, tick, up=True)
            if (stop - entry) / entry > settings.max_stop_fraction:
                stop -= tick
    return stop
