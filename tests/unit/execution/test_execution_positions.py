"""Net positions from fills: average entry, realized / unrealized P&L including fees, and
one finalize_exit path for every way back to flat."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.execution.execution_kit import T0

from quorum.domain import Direction, Side
from quorum.execution import NetPosition, apply_fill, finalize_exit
from quorum.execution.positions import set_to_venue

D = Decimal


def _flat() -> NetPosition:
    return NetPosition.flat("paper", "BTC/USDT")


def test_adding_moves_the_average_entry_and_fees_reduce_realized_pnl() -> None:
    pos, _ = apply_fill(_flat(), Side.BUY, D(1), D(100), D("0.1"), T0)
    pos, closed = apply_fill(pos, Side.BUY, D(1), D(110), D("0.1"), T0)

    assert not closed
    assert pos.quantity == D(2)
    assert pos.average_entry == D(105)
    assert pos.realized_pnl == D("-0.2")
    assert pos.fees == D("0.2")
    assert pos.unrealized_pnl(D(115)) == D(20)


def test_closing_a_long_realizes_price_minus_entry_less_fees_then_finalizes() -> None:
    pos, _ = apply_fill(_flat(), Side.BUY, D(2), D(100), D("0.2"), T0)
    pos, flat = apply_fill(pos, Side.SELL, D(2), D(110), D("0.22"), T0)
    after, trade = finalize_exit(pos, "take_profit", T0)

    assert flat
    assert trade.realized_pnl == D(20) - D("0.42")
    assert trade.reason == "take_profit"
    assert trade.fees == D("0.42")
    assert after.quantity == 0
    assert after.average_entry is None
    assert after.realized_pnl == 0


def test_a_short_profits_when_price_falls() -> None:
    pos, _ = apply_fill(_flat(), Side.SELL, D(1), D(100), D(0), T0)
    assert pos.quantity == D(-1)
    assert pos.unrealized_pnl(D(90)) == D(10)
    pos, flat = apply_fill(pos, Side.BUY, D(1), D(90), D(0), T0)
    assert flat
    assert pos.realized_pnl == D(10)


def test_a_fill_through_flat_closes_the_trade_and_reopens_the_rest_at_its_price() -> None:
    pos, _ = apply_fill(_flat(), Side.BUY, D(1), D(100), D(0), T0)
    pos, crossed = apply_fill(pos, Side.SELL, D(3), D(105), D(0), T0)
    after, trade = finalize_exit(pos, "exit", T0, reopen_price=D(105))

    assert crossed
    assert trade.realized_pnl == D(5)
    assert after.quantity == D(-2)
    assert after.average_entry == D(105)


def test_reconciliation_to_flat_goes_through_finalize_exit() -> None:
    pos, _ = apply_fill(_flat(), Side.BUY, D(1), D(100), D(0), T0)
    after, trade = set_to_venue(pos, D(0), None, T0)
    assert trade is not None
    assert trade.reason == "reconciliation"
    assert after.quantity == 0


def test_a_short_adds_at_a_higher_price_and_partial_buy_back_realizes_entry_minus_price() -> None:
    later = T0 + timedelta(hours=1)
    pos, _ = apply_fill(_flat(), Side.SELL, D(2), D(100), D("0.1"), T0)
    pos, flat = apply_fill(pos, Side.SELL, D(2), D(110), D("0.1"), later)

    assert not flat
    assert pos.direction is Direction.SHORT
    assert (pos.quantity, pos.average_entry, pos.opened_at) == (D(-4), D(105), T0)
    assert pos.unrealized_pnl(D(95)) == D(40)

    pos, flat = apply_fill(pos, Side.BUY, D(1), D(90), D("0.1"), later)

    assert not flat
    assert pos.quantity == D(-3)
    assert pos.average_entry == D(105)  # reducing never moves the entry
    assert pos.realized_pnl == D(15) - D("0.3")
    assert pos.fees == D("0.3")


def test_a_short_bought_back_above_its_entry_realizes_a_loss() -> None:
    pos, _ = apply_fill(_flat(), Side.SELL, D(2), D(100), D(0), T0)
    pos, flat = apply_fill(pos, Side.BUY, D(2), D(104), D("0.2"), T0)
    after, trade = finalize_exit(pos, "stop", T0)

    assert flat
    assert trade.realized_pnl == D(-8) - D("0.2")
    assert trade.payload()["reason"] == "stop"
    assert after.direction is None
    assert (after.quantity, after.average_entry, after.opened_at) == (D(0), None, None)


def test_a_buy_through_a_short_closes_it_and_opens_a_long_at_the_fill_price() -> None:
    later = T0 + timedelta(minutes=5)
    pos, _ = apply_fill(_flat(), Side.SELL, D(1), D(100), D(0), T0)
    pos, crossed = apply_fill(pos, Side.BUY, D(3), D(95), D(0), later)
    after, trade = finalize_exit(pos, "exit", later, reopen_price=D(95))

    assert crossed
    assert trade.realized_pnl == D(5)
    assert (trade.opened_at, trade.closed_at) == (T0, later)
    assert after.direction is Direction.LONG
    assert (after.quantity, after.average_entry, after.opened_at) == (D(2), D(95), later)
    assert after.realized_pnl == 0


def test_reduced_by_is_true_only_for_the_opposite_side_up_to_the_held_size() -> None:
    short, _ = apply_fill(_flat(), Side.SELL, D(2), D(100), D(0), T0)
    long, _ = apply_fill(_flat(), Side.BUY, D(2), D(100), D(0), T0)

    assert short.reduced_by(Side.BUY, D(2))
    assert not short.reduced_by(Side.BUY, D(3))
    assert not short.reduced_by(Side.SELL, D(1))
    assert long.reduced_by(Side.SELL, D(2))
    assert not long.reduced_by(Side.SELL, D(3))
    assert not long.reduced_by(Side.BUY, D(1))
    assert not _flat().reduced_by(Side.SELL, D(1))
    assert not _flat().reduced_by(Side.BUY, D(1))


def test_a_flat_position_has_no_direction_and_no_unrealized_pnl() -> None:
    assert _flat().direction is None
    assert _flat().unrealized_pnl(D(123)) == 0


@pytest.mark.parametrize(
    ("quantity", "price", "fee"),
    [(D(0), D(100), D(0)), (D(-1), D(100), D(0)), (D(1), D(0), D(0)), (D(1), D(100), D(-1))],
)
def test_apply_fill_refuses_non_positive_quantity_or_price_and_negative_fee(
    quantity: Decimal, price: Decimal, fee: Decimal
) -> None:
    with pytest.raises(ValueError, match="quantity and price must be > 0 and fee >= 0"):
        apply_fill(_flat(), Side.BUY, quantity, price, fee, T0)


def test_reconciling_a_flat_position_to_a_flat_venue_reports_no_trade() -> None:
    flat = _flat()

    after, trade = set_to_venue(flat, D(0), None, T0)

    assert trade is None
    assert after is flat


def test_reconciliation_adopts_a_venue_short_we_did_not_know_about() -> None:
    later = T0 + timedelta(hours=2)

    after, trade = set_to_venue(_flat(), D(-3), D(101), later)

    assert trade is None
    assert after.direction is Direction.SHORT
    assert (after.quantity, after.average_entry, after.opened_at) == (D(-3), D(101), later)


def test_reconciliation_resizes_an_open_position_keeping_entry_and_open_time() -> None:
    pos, _ = apply_fill(_flat(), Side.SELL, D(2), D(100), D(0), T0)

    after, trade = set_to_venue(pos, D(-1), None, T0 + timedelta(hours=1))

    assert trade is None
    assert (after.quantity, after.average_entry, after.opened_at) == (D(-1), D(100), T0)


@settings(max_examples=80, deadline=None)
@given(
    fills=st.lists(
        st.tuples(
            st.sampled_from([Side.BUY, Side.SELL]),
            st.decimals(min_value=D("0.01"), max_value=D(5), places=2),
            st.decimals(min_value=D(50), max_value=D(150), places=2),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_quantity_is_the_signed_sum_of_fills_and_entry_stays_within_fill_prices(
    fills: list[tuple[Side, Decimal, Decimal]],
) -> None:
    pos = _flat()
    for side, qty, price in fills:
        pos, flat = apply_fill(pos, side, qty, price, D(0), T0)
        if flat:
            pos, _ = finalize_exit(pos, "exit", T0, reopen_price=price)
        if pos.quantity:
            assert pos.average_entry is not None
            assert min(p for _, _, p in fills) <= pos.average_entry <= max(p for _, _, p in fills)
    assert pos.quantity == sum(q if s is Side.BUY else -q for s, q, _ in fills)
