"""Builders for the risk tests: settings, market, portfolio, state and signals.

Defaults: equity 100,000; BTC/USDT at 100 with step 0.001, tick 0.01, fees 2/5 bp,
no slippage; a long signal 100 → stop 98 → take-profit 104 at confidence 0.5 (the
risk floor, 0.25 % = 250 of equity), so the default decision is an unresized approval.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from quorum.domain import (
    Direction,
    Position,
    PositionState,
    RiskDecision,
    Signal,
)
from quorum.risk import (
    Exposure,
    MarketInfo,
    MonitoredPosition,
    Portfolio,
    RiskSettings,
    RulesState,
    evaluate,
    initial_state,
)
from quorum.testing import make_position, make_signal

T0 = datetime(2024, 1, 3, 12, 0, tzinfo=UTC)
"""A Wednesday noon UTC; the default daily reset (00:00 UTC) is 12 hours away."""
EQUITY = Decimal(100_000)
SYMBOL = "BTC/USDT"


def settings(**sections: Any) -> RiskSettings:
    """``RiskSettings`` with sections given as dicts, e.g. ``settings(stops={...})``."""
    return RiskSettings.model_validate(sections)


def market(**overrides: Any) -> MarketInfo:
    data: dict[str, Any] = {
        "symbol": SYMBOL,
        "amount_step": Decimal("0.001"),
        "price_tick": Decimal("0.01"),
        "min_amount": Decimal("0.001"),
        "min_notional": Decimal(5),
        "maker_fee": Decimal("0.0002"),
        "taker_fee": Decimal("0.0005"),
        "reference_price": Decimal(100),
        "atr": Decimal(1),
        "slippage": Decimal(0),
    }
    data.update(overrides)
    return MarketInfo.model_validate(data)


def portfolio(*exposures: Exposure, **overrides: Any) -> Portfolio:
    data: dict[str, Any] = {"equity": EQUITY, "margin_available": EQUITY, "exposures": exposures}
    data.update(overrides)
    return Portfolio.model_validate(data)


def exposure(symbol: str = "ETH/USDT", **overrides: Any) -> Exposure:
    data: dict[str, Any] = {
        "symbol": symbol,
        "direction": Direction.LONG,
        "notional": Decimal(1_000),
        "risk": Decimal(50),
    }
    data.update(overrides)
    return Exposure.model_validate(data)


def state(
    s: RiskSettings | None = None, equity: Decimal = EQUITY, as_of: datetime = T0, **changes: Any
) -> RulesState:
    base = initial_state(equity, as_of, s or RiskSettings())
    if not changes:
        return base
    updated = base.evolve(**changes)
    assert isinstance(updated, RulesState)
    return updated


def signal(**overrides: Any) -> Signal:
    data: dict[str, Any] = {"as_of": T0, "confidence": 0.5}
    data.update(overrides)
    return make_signal(**data)


def decide(
    sig: Signal | None = None,
    *,
    folio: Portfolio | None = None,
    info: MarketInfo | None = None,
    rules: RulesState | None = None,
    as_of: datetime = T0,
    s: RiskSettings | None = None,
) -> RiskDecision:
    """``evaluate`` with the kit's defaults for whatever is not given."""
    s = s or RiskSettings()
    return evaluate(
        sig or signal(),
        folio or portfolio(),
        info or market(),
        rules or state(s),
        as_of,
        s,
    )


def check(decision: RiskDecision, rule: str) -> Any:
    """The RuleCheck named ``rule`` in ``decision`` (fails the test when absent)."""
    for c in decision.checks:
        if c.rule == rule:
            return c
    raise AssertionError(f"{rule} not evaluated; checks: {[c.rule for c in decision.checks]}")


def open_position(**overrides: Any) -> Position:
    data: dict[str, Any] = {"state": PositionState.ACTIVE, "opened_at": T0}
    data.update(overrides)
    return make_position(**data)


def monitored(position: Position | None = None, **overrides: Any) -> MonitoredPosition:
    data: dict[str, Any] = {"position": position or open_position()}
    data.update(overrides)
    return MonitoredPosition.model_validate(data)
