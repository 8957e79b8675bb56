"""Reduce-only orders never flip a position: checked at send time against our position less
the other working exits, and honoured by the paper venue itself."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.unit.execution.execution_kit import SYMBOL, Env, intent_at, make_env

from quorum.domain import JournalKind, OrderLeg, OrderState, OrderType, Side


def _long(env: Env, quantity: str = "0.5") -> None:
    entry = env.stored(**intent_at(0, quantity=Decimal(quantity)))
    assert env.service.execute(entry.client_order_id).state is OrderState.FILLED


def _exit(env: Env, i: int, quantity: str, **overrides: object) -> str:
    order = env.stored(
        **intent_at(
            i,
            side=Side.SELL,
            leg=OrderLeg.EXIT,
            reduce_only=True,
            quantity=Decimal(quantity),
            **overrides,
        )
    )
    return order.client_order_id


def _ours(env: Env) -> Decimal:
    return sum((p.quantity for p in env.service.positions() if p.symbol == SYMBOL), Decimal(0))


def _venue(env: Env) -> Decimal:
    return sum((p.quantity for p in env.venue.positions() if p.symbol == SYMBOL), Decimal(0))


def _checks(env: Env) -> list[dict[str, object]]:
    return [
        e.payload["reduce_only_check"]
        for e in env.journal.read()
        if e.kind is JournalKind.ORDER_UPDATE and "reduce_only_check" in e.payload
    ]


def test_a_second_exit_after_the_first_filled_is_refused_unsent_and_journaled(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path)
    _long(env)
    first = _exit(env, 1, "0.5")
    second = _exit(env, 2, "0.5")
    assert env.service.execute(first).state is OrderState.FILLED
    refused = env.service.execute(second)
    assert refused.state is OrderState.CANCELLED
    assert refused.filled_quantity == 0
    assert refused.last_error is not None
    assert "execution.reduce_only" in refused.last_error
    assert "increase or flip" in refused.last_error
    assert env.venue.stats.accepted[second] == 0  # never sent
    assert _ours(env) == 0
    assert _venue(env) == 0
    check = _checks(env)[-1]
    assert check["outcome"] == "refused"
    assert check["client_order_id"] == second
    assert check["rule"] == "execution.reduce_only"
    assert check["position"] == {"venue": "paper", "symbol": SYMBOL, "quantity": "0"}


def test_an_exit_is_clipped_to_what_the_working_exits_leave_and_refused_when_they_cover_it(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path)
    _long(env)
    resting = _exit(env, 1, "0.2", order_type=OrderType.LIMIT, price=Decimal(110))
    assert env.service.execute(resting).state is OrderState.ACKNOWLEDGED
    market = env.service.execute(_exit(env, 2, "0.5"))
    assert market.state is OrderState.FILLED
    assert market.quantity == Decimal("0.3")
    assert _ours(env) == Decimal("0.2")
    assert _venue(env) == Decimal("0.2")
    check = _checks(env)[-1]
    assert check["outcome"] == "clipped"
    assert [w["client_order_id"] for w in check["working_exits"]] == [resting]  # type: ignore[index,union-attr]
    covered = env.service.execute(_exit(env, 3, "0.1"))
    assert covered.state is OrderState.CANCELLED
    assert _checks(env)[-1]["outcome"] == "refused"


def test_a_reduce_only_exit_within_the_position_is_sent_whole(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    _long(env)
    done = env.service.execute(_exit(env, 1, "0.2"))
    assert done.state is OrderState.FILLED
    assert done.quantity == Decimal("0.2")
    assert _checks(env)[-1]["outcome"] == "passed"
    assert _ours(env) == _venue(env) == Decimal("0.3")
