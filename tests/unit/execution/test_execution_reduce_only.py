"""Reduce-only orders never flip a position: checked at send time against our position less
the other working exits, and honoured by the paper venue itself."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from tests.unit.execution.execution_kit import SYMBOL, T0, Env, intent_at, make_env

from quorum.clock import ReplayClock
from quorum.domain import JournalKind, OrderIntent, OrderLeg, OrderState, OrderType, Side
from quorum.execution import ExecOrder, NetPosition, OrderRejected, PaperSettings, PaperVenue
from quorum.execution.paper import ReplayVenue, StoredPaperVenue
from quorum.execution.reduce_only import ZERO, check_reduce_only
from quorum.ports import OrderRequest
from quorum.store import create_engine_for, migrate
from quorum.testing import make_bar


def _long(env: Env, quantity: str = "0.5") -> None:
    entry = env.stored(**intent_at(0, quantity=Decimal(quantity)))
    assert env.service.execute(entry.client_order_id).state is OrderState.FILLED


def _exit(env: Env, i: int, quantity: str, **overrides: object) -> str:
    fields: dict[str, object] = {
        "side": Side.SELL,
        "leg": OrderLeg.EXIT,
        "reduce_only": True,
        "quantity": Decimal(quantity),
        **overrides,
    }
    order = env.stored(**intent_at(i, **fields))
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


def _working(i: int, quantity: str, state: OrderState, **overrides: object) -> ExecOrder:
    fields: dict[str, object] = {
        "run_id": "r",
        "strategy": "s",
        "symbol": SYMBOL,
        "side": Side.SELL,
        "leg": OrderLeg.EXIT,
        "order_type": OrderType.MARKET,
        "reduce_only": True,
        "quantity": Decimal(quantity),
        **overrides,
    }
    intent = OrderIntent(**intent_at(i, **fields))
    return ExecOrder.from_intent(intent, "paper", T0).evolve(state=state)


def test_an_exit_is_clipped_to_what_the_working_exits_leave_and_refused_when_they_cover_it() -> (
    None
):
    position = NetPosition(
        venue="paper",
        symbol=SYMBOL,
        quantity=Decimal("0.5"),
        average_entry=Decimal(100),
        realized_pnl=ZERO,
        fees=ZERO,
        opened_at=T0,
    )
    exit_order = _working(1, "0.5", OrderState.NEW)
    market = _working(2, "0.2", OrderState.ACKNOWLEDGED)
    stop = _working(
        3,
        "0.5",
        OrderState.ACKNOWLEDGED,
        leg=OrderLeg.STOP_LOSS,
        order_type=OrderType.STOP,
        stop_price=Decimal(95),
    )
    clipped = check_reduce_only(exit_order, position, [market, stop])
    assert (clipped.outcome, clipped.allowed) == ("clipped", Decimal("0.3"))
    assert [w["client_order_id"] for w in clipped.detail["working_exits"]] == [
        market.client_order_id
    ]  # the resting stop is contingent: it reserves nothing
    covered = _working(4, "0.5", OrderState.PARTIALLY_FILLED)
    assert check_reduce_only(exit_order, position, [covered, stop]).outcome == "refused"


def test_a_resting_protective_order_does_not_hold_back_a_market_exit(tmp_path: Path) -> None:
    """The take-profit resting at the venue is contingent (emulated OCO): a market exit of
    the whole position is sent whole, and the target, finding no position, never fills."""
    env = make_env(tmp_path)
    _long(env)
    resting = _exit(
        env, 1, "0.5", leg=OrderLeg.TAKE_PROFIT, order_type=OrderType.LIMIT, price=Decimal(110)
    )
    assert env.service.execute(resting).state is OrderState.ACKNOWLEDGED
    market = env.service.execute(_exit(env, 2, "0.5"))
    assert market.state is OrderState.FILLED
    assert market.quantity == Decimal("0.5")
    assert _checks(env)[-1]["outcome"] == "passed"
    assert _ours(env) == _venue(env) == Decimal(0)
    env.venue.on_bar(SYMBOL, Decimal(100), Decimal(120), Decimal(99), Decimal(115))
    assert _venue(env) == Decimal(0)  # never flipped by the target
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


# -- the paper venue honours reduce_only -------------------------------------------------

D = Decimal


def _req(cid: str, side: Side, quantity: str, **kw: object) -> OrderRequest:
    return OrderRequest(
        client_order_id=cid,
        symbol=SYMBOL,
        side=side,
        order_type=OrderType(str(kw.pop("order_type", "market"))),
        quantity=D(quantity),
        sent_at=T0,
        **kw,  # type: ignore[arg-type]
    )


def _paper(venue: PaperVenue) -> PaperVenue:
    venue.set_quote(SYMBOL, D(99), D(101), D(100))
    return venue


def _held(venue: PaperVenue) -> Decimal:
    return sum((p.quantity for p in venue.positions()), D(0))


def test_the_paper_venue_rejects_a_reduce_only_order_against_a_flat_or_same_side_position() -> None:
    venue = _paper(PaperVenue(ReplayClock(T0)))
    with pytest.raises(OrderRejected, match="-2022 ReduceOnly Order is rejected"):
        venue.submit(_req("ro-flat", Side.SELL, "0.1", reduce_only=True))
    venue.submit(_req("long", Side.BUY, "0.5"))
    with pytest.raises(OrderRejected, match="-2022"):
        venue.submit(_req("ro-same-side", Side.BUY, "0.1", reduce_only=True))
    assert _held(venue) == D("0.5")


def test_a_reduce_only_fill_is_clipped_to_the_position_and_the_rest_expires() -> None:
    venue = _paper(PaperVenue(ReplayClock(T0)))
    venue.submit(_req("long", Side.BUY, "0.5"))
    done = venue.submit(_req("ro-big", Side.SELL, "0.8", reduce_only=True))
    assert done.status == "expired"
    assert done.filled == D("0.5")
    assert _held(venue) == 0


def test_a_resting_reduce_only_order_expires_unfilled_once_the_position_is_gone() -> None:
    venue = _paper(PaperVenue(ReplayClock(T0)))
    venue.submit(_req("long", Side.BUY, "0.5"))
    venue.submit(
        _req("ro-tp", Side.SELL, "0.5", reduce_only=True, order_type="limit", price=D(110))
    )
    venue.submit(_req("close", Side.SELL, "0.5"))
    venue.on_bar(SYMBOL, D(100), D(115), D(99), D(112))
    assert venue.fetch_by_client_id("ro-tp").status == "expired"
    assert venue.fetch_by_client_id("ro-tp").filled == 0
    assert _held(venue) == 0


def test_the_replay_venue_fills_a_resting_reduce_only_exit_only_up_to_the_position() -> None:
    clock = ReplayClock(T0)
    venue = ReplayVenue(clock, PaperSettings())
    bar = make_bar(symbol=SYMBOL, timeframe="15m", ts=T0, open=D(100), high=D(101),
                   low=D(99), close=D(100))  # fmt: skip
    venue.feed(bar)
    venue.submit(_req("long", Side.BUY, "0.5"))
    venue.feed(bar.evolve(ts=T0 + timedelta(minutes=15)))  # type: ignore[arg-type]
    assert _held(venue) == D("0.5")
    venue.submit(_req("exit-a", Side.SELL, "0.5", reduce_only=True))
    venue.submit(_req("exit-b", Side.SELL, "0.5", reduce_only=True))  # both rest
    venue.feed(bar.evolve(ts=T0 + timedelta(minutes=30)))  # type: ignore[arg-type]
    assert venue.fetch_by_client_id("exit-a").filled == D("0.5")
    assert venue.fetch_by_client_id("exit-b").status == "expired"
    assert venue.fetch_by_client_id("exit-b").filled == 0
    assert _held(venue) == 0


def test_the_stored_paper_venue_keeps_the_reduce_only_flag_across_processes(
    tmp_path: Path,
) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'venue.db'}")
    migrate(engine)
    clock = ReplayClock(T0)
    one = StoredPaperVenue(engine, clock, PaperSettings())
    one.set_quote(SYMBOL, D(99), D(101), D(100))
    one.submit(_req("long", Side.BUY, "0.5"))
    one.submit(_req("ro-tp", Side.SELL, "0.5", reduce_only=True, order_type="limit", price=D(110)))
    two = StoredPaperVenue(engine, clock, PaperSettings())
    two.submit(_req("close", Side.SELL, "0.5"))
    two.on_bar(SYMBOL, D(100), D(115), D(99), D(112))
    assert one.fetch_by_client_id("ro-tp").status == "expired"
    assert sum((p.quantity for p in one.positions()), D(0)) == 0
    engine.dispose()
