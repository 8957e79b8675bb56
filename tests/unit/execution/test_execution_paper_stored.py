"""The paper venue stored in the database: one venue for every process on the database,
surviving restarts, bars applied once, decimals exact, refusals counted, faults shared."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from tests.unit.execution.execution_kit import T0

from quorum.clock import ReplayClock
from quorum.domain import OrderType, Side
from quorum.execution import DuplicateClientOrderId, OrderRejected
from quorum.execution.paper import (
    FaultSettings,
    InProcessPaperBroker,
    PaperClockBehind,
    PaperSettings,
    StoredFaults,
    StoredPaperVenue,
)
from quorum.ports import OrderRequest
from quorum.store import create_engine_for, migrate

D = Decimal
SYMBOL = "BTC/USDT"


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'venue.db'}")
    migrate(engine)
    return engine


def _venue(
    engine: Engine, clock: ReplayClock | None = None, **settings: object
) -> StoredPaperVenue:
    paper = PaperSettings.model_validate(settings)
    return StoredPaperVenue(engine, clock or ReplayClock(T0), paper)


def _req(cid: str, kind: OrderType = OrderType.MARKET, **kw: object) -> OrderRequest:
    return OrderRequest(
        client_order_id=cid,
        symbol=SYMBOL,
        side=Side(str(kw.pop("side", "buy"))),
        order_type=kind,
        quantity=D(str(kw.pop("quantity", "1"))),
        sent_at=T0,
        **kw,  # type: ignore[arg-type]
    )


def test_two_venue_objects_on_one_database_see_the_same_orders_balances_and_positions(
    engine: Engine,
) -> None:
    first, second = _venue(engine), _venue(engine)
    first.set_quote(SYMBOL, D(99), D(101), D(100))

    placed = first.submit(_req("c1", quantity="0.5"))

    assert second.fetch_by_client_id("c1") == placed
    assert second.positions() == first.positions()
    assert second.positions()[0].quantity == D("0.5")
    assert second.balances() == first.balances()
    assert second.balances()["USDT"] == D(10**7) - D("50.5") - D("0.0505")
    assert second.trades() == first.trades()
    second.submit(_req("c2", quantity="0.25", side="sell"))
    assert first.positions()[0].quantity == D("0.25")
    assert [t.venue_trade_id for t in first.trades()] == ["T1", "T2"]
    assert first.stats.accepted == {"c1": 1, "c2": 1}


def test_a_restart_keeps_balances_open_orders_positions_trades_and_counters(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    engine = create_engine_for(url)
    migrate(engine)
    venue = _venue(engine)
    venue.set_quote(SYMBOL, D(99), D(101), D(100))
    venue.submit(_req("entry", quantity="2"))
    venue.submit(_req("resting", OrderType.LIMIT, side="sell", price=D(120)))
    with pytest.raises(DuplicateClientOrderId):
        venue.submit(_req("resting", OrderType.LIMIT, side="sell", price=D(120)))
    before = (venue.balances(), venue.positions(), venue.open_orders(), venue.trades())
    engine.dispose()

    again = create_engine_for(url)
    restarted = _venue(again, initial_balances={"USDT": D(1)})  # the stored account wins

    assert (
        restarted.balances(),
        restarted.positions(),
        restarted.open_orders(),
        restarted.trades(),
    ) == before
    assert restarted.stats.submits == 3
    assert restarted.stats.duplicates_refused == 1
    restarted.on_bar(SYMBOL, D(110), D(125), D(105), D(118), ts=T0)
    assert restarted.fetch_by_client_id("resting").status == "closed"
    assert restarted.positions()[0].quantity == D(1)
    again.dispose()


def test_feeding_the_same_bar_twice_from_two_processes_applies_it_once(engine: Engine) -> None:
    first, second = _venue(engine), _venue(engine)
    first.set_quote(SYMBOL, D(99), D(101), D(100))
    first.submit(_req("stop", OrderType.STOP, side="sell", stop_price=D(95)))

    assert first.on_bar(SYMBOL, D(100), D(100), D(94), D(96), ts=T0) is True
    version = second.version
    second.refresh()
    moved = second.version

    assert second.on_bar(SYMBOL, D(100), D(100), D(94), D(96), ts=T0) is False
    assert first.on_bar(SYMBOL, D(100), D(100), D(94), D(96), ts=T0) is False
    assert second.on_bar(SYMBOL, D(90), D(91), D(80), D(85), ts=T0 - timedelta(minutes=15)) is False
    second.refresh()
    assert moved > version
    assert second.version == moved  # nothing was written by the ignored bars
    assert len(second.trades()) == 1
    assert second.last_bar(SYMBOL) == T0


def test_decimals_are_stored_as_exact_text(engine: Engine) -> None:
    venue = _venue(engine, amount_step=D("0.000000000001"), taker_fee=D("0.00075"))
    price = D("12345.678901234567890123")
    venue.set_quote(SYMBOL, price, price, price)
    venue.submit(_req("exact", quantity="0.123456789012"))

    reloaded = _venue(engine)
    trade = reloaded.trades()[0]
    assert trade.price == price
    assert trade.quantity == D("0.123456789012")
    assert trade.fee == D("0.123456789012") * price * D("0.00075")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT price FROM paper_trades")).scalar_one()
    assert stored == "12345.678901234567890123"


def test_a_refused_submit_is_counted_for_every_process(engine: Engine) -> None:
    clock = ReplayClock(T0)
    first, second = _venue(engine, clock), _venue(engine, clock)
    first.set_quote(SYMBOL, D(99), D(101), D(100))
    clock.advance(timedelta(seconds=10))

    with pytest.raises(OrderRejected, match="recvWindow"):
        first.submit(_req("late"))

    assert second.stats.late_refused == 1
    assert second.stats.submits == 1
    assert second.open_orders() == []


def test_a_process_whose_clock_is_behind_the_venue_is_refused_definitively(
    engine: Engine,
) -> None:
    later = T0 + timedelta(days=1)
    ahead = _venue(engine, ReplayClock(later))
    ahead.set_quote(SYMBOL, D(99), D(101), D(100))
    ahead.on_bar(SYMBOL, D(100), D(101), D(99), D(100), ts=later - timedelta(minutes=15))
    behind = _venue(engine, ReplayClock(T0))

    with pytest.raises(PaperClockBehind, match="replay over an earlier window"):
        behind.on_bar(SYMBOL, D(1), D(2), D(1), D(2), ts=T0)  # not applied yet: a write
    assert behind.balances() == ahead.balances()  # reads still work
    with pytest.raises(PaperClockBehind):
        behind.on_bar(SYMBOL, D(1), D(2), D(1), D(2), ts=T0)  # already covered: no write
    with pytest.raises(OrderRejected):  # a definitive refusal: nothing was accepted
        behind.submit(_req("from-the-past"))
    assert ahead.open_orders() == []
    assert ahead.stats.submits == 0


def test_fault_settings_set_in_one_process_apply_to_every_transport(engine: Engine) -> None:
    first, second = _venue(engine), _venue(engine)
    first.set_quote(SYMBOL, D(99), D(101), D(100))
    sleeps: list[float] = []
    broker = InProcessPaperBroker(second, faults=StoredFaults(second), sleep=sleeps.append)

    StoredFaults(first).configure(FaultSettings(submit_reply_delay_s=7.5))
    broker.submit(_req("slow"))

    assert sleeps == [7.5]
    assert first.fetch_by_client_id("slow").status == "closed"


def test_threads_with_their_own_venue_objects_lose_no_update(engine: Engine) -> None:
    setup = _venue(engine)
    setup.set_quote(SYMBOL, D(99), D(101), D(100))
    errors: list[BaseException] = []

    def submit_all(tag: str) -> None:
        venue = _venue(engine)
        try:
            for i in range(15):
                venue.submit(_req(f"{tag}-{i}", quantity="0.01"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=submit_all, args=(t,)) for t in "abc"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    check = _venue(engine)
    trades = check.trades()
    assert [t.venue_trade_id for t in trades] == [f"T{n}" for n in range(1, 46)]
    assert sorted(int(t.venue_order_id[1:]) for t in trades) == list(range(1, 46))
    assert check.positions()[0].quantity == D("0.45")
    assert check.balances()["USDT"] == D(10**7) - 45 * (D("1.01") + D("0.00101"))
