"""Prices, quantities and money have magnitude bounds at the model edge, and a value past
them is refused with an error naming the field and the allowed range."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from quorum.domain import (
    MAX_MONEY,
    MAX_PRICE,
    MAX_QUANTITY,
    MIN_PRICE,
    MIN_QUANTITY,
    Direction,
    PositionState,
)
from quorum.risk import Exposure, Portfolio
from quorum.testing import make_order_intent, make_position, make_signal


def _error(excinfo: pytest.ExceptionInfo[ValidationError]) -> str:
    return str(excinfo.value)


def test_a_price_past_the_bounds_is_refused_naming_the_field_and_range() -> None:
    with pytest.raises(ValidationError) as too_big:
        make_signal(entry=MAX_PRICE * 10, stop_loss=MAX_PRICE * 9, take_profit=MAX_PRICE * 12)
    assert "entry: must be within [1E-12, 1E+12] (got 1.0E+13)" in _error(too_big)
    with pytest.raises(ValidationError) as too_small:
        make_signal(entry=Decimal("1e-13"), stop_loss=Decimal("0.9e-13"), take_profit=Decimal(1))
    assert "stop_loss: must be within [1E-12, 1E+12]" in _error(too_small)


def test_prices_and_quantities_at_the_bounds_are_accepted() -> None:
    low = make_signal(entry=MIN_PRICE * 100, stop_loss=MIN_PRICE * 98, take_profit=MIN_PRICE * 104)
    assert low.stop_loss == MIN_PRICE * 98
    position = make_position(state=PositionState.ACTIVE, quantity=MAX_QUANTITY)
    assert position.quantity == MAX_QUANTITY


def test_an_order_quantity_past_the_bounds_is_refused() -> None:
    assert make_order_intent(quantity=MAX_QUANTITY).quantity == MAX_QUANTITY
    with pytest.raises(ValidationError, match=r"quantity: must be within \[1E-12, 1E\+15\]"):
        make_order_intent(quantity=MAX_QUANTITY * 2)
    with pytest.raises(ValidationError, match=r"quantity: must be within \[1E-12, 1E\+15\]"):
        make_order_intent(quantity=MIN_QUANTITY / 2)


def test_money_past_the_bounds_is_refused_either_way() -> None:
    with pytest.raises(
        ValidationError, match=r"unrealized_pnl: must be within \[-1E\+18, 1E\+18\]"
    ):
        Exposure(
            symbol="BTC/USDT",
            direction=Direction.LONG,
            notional=Decimal(1),
            unrealized_pnl=-MAX_MONEY * 2,
        )
    with pytest.raises(ValidationError, match=r"notional: must be within \[0, 1E\+18\]"):
        Exposure(symbol="BTC/USDT", direction=Direction.LONG, notional=MAX_MONEY * 2)
    with pytest.raises(ValidationError, match=r"equity: must be within \[1E-12, 1E\+18\]"):
        Portfolio(equity=Decimal("1e19"), margin_available=Decimal(0))
