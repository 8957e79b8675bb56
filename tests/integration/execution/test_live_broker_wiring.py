"""Live mode through the composition root: ccxt → HTTP → the Binance simulator.

Reproduces #20's "every intent is refused: trading.mode live: no live broker" — the root
built only the paper broker — and shows the order at the simulator under our client id."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
from tests.unit.pipeline.kit import START, drain, make_kit, open_position, open_trade, scripted_kit

from quorum.clock import ReplayClock
from quorum.domain import (
    ExitCause,
    OrderIntent,
    OrderLeg,
    OrderType,
    RiskDecision,
    Side,
    Verdict,
)
from quorum.errors import ConfigError
from quorum.execution import PaperVenue
from quorum.execution.errors import TradingBlocked
from quorum.execution.paper.binance import BinanceSimulator, MarketSpec
from quorum.execution.paper.binance.replay import ClientTime
from quorum.execution.paper.model import PaperSettings
from quorum.pipeline.persistence import trades
from quorum.ports import OrderRequest
from quorum.store import session_scope

KEY, SECRET = "live-key", "live-secret"  # pragma: allowlist secret


@pytest.fixture
def sim(allow_loopback_orders: None) -> Iterator[BinanceSimulator]:
    # the simulator lives at the run's replayed time: its clock follows the signed requests
    clock = ReplayClock(START - timedelta(days=1))
    venue = PaperVenue(
        clock,
        PaperSettings(amount_step=Decimal("0.00001"), initial_balances={"USDT": Decimal(10**6)}),
    )
    venue.set_quote("BTC/USDT", Decimal(100), Decimal("100.1"), Decimal("100.05"))
    server = BinanceSimulator(
        venue,
        [MarketSpec("BTC/USDT")],
        clock=clock,
        api_key=KEY,
        secret=SECRET,
        client_time=ClientTime(clock, venue),
    ).start()
    with localcontext():  # ccxt's precision helpers set the thread's context
        yield server
    server.stop()


def _live(url: str | None = None, venue: str = "binance", mode: str = "live") -> dict[str, object]:
    exchange: dict[str, object] = {
        "id": venue,
        "api_key_ref": "env:QUORUM_TEST_LIVE_KEY",
        "api_secret_ref": "env:QUORUM_TEST_LIVE_SECRET",
    }
    if url is not None:
        exchange["api_url"] = url
    return {"trading": {"mode": mode, "live_confirm": True, "exchange": exchange}}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A temporary working directory and the live keys in the environment (the secret can
    be replaced by a test)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QUORUM_TEST_LIVE_KEY", KEY)
    monkeypatch.setenv("QUORUM_TEST_LIVE_SECRET", SECRET)
    return monkeypatch


def test_live_mode_orders_reach_the_venue_through_ccxt(
    sim: BinanceSimulator, env: pytest.MonkeyPatch
) -> None:
    kit = make_kit(sections=_live(sim.url))
    try:
        cid = open_position(kit, "0.1")
        order = kit.tasks.deps.execution.order(cid)
        assert order.venue == "live"
        assert order.state.value == "filled"
        assert sim.stats.orders == {cid: 1}
        assert sim.venue.positions()[0].quantity == Decimal("0.1")
        # Binance's myTrades carry no client id: the fill is matched by the venue's order id
        # from the first reply (it was dropped before, leaving our position flat)
        ours = kit.tasks.deps.execution.positions("live")
        assert [(p.symbol, p.quantity) for p in ours] == [("BTC/USDT", Decimal("0.1"))]
    finally:
        kit.close()


def test_a_refused_key_stops_start_up_with_the_venues_answer(
    sim: BinanceSimulator, env: pytest.MonkeyPatch
) -> None:
    env.setenv("QUORUM_TEST_LIVE_SECRET", "not-the-secret")
    with pytest.raises(ConfigError, match="refused the credentials") as caught:
        make_kit(sections=_live(sim.url))
    assert "-1022" in str(caught.value)
    assert "not-the-secret" not in str(caught.value)


def test_a_flip_to_live_reconciles_the_live_venue_before_the_first_live_order(
    sim: BinanceSimulator, env: pytest.MonkeyPatch
) -> None:
    kit = make_kit(sections=_live(sim.url, mode="paper"))
    try:
        paper = open_position(kit, "0.1")
        assert kit.tasks.deps.execution.order(paper).venue == "paper"
        assert sim.stats.orders == {}
        # while we were on paper, an order was placed at the venue by hand
        sim.venue.submit(_outside_order())
        flags = kit.runtime.flags
        flags.set("trading.mode", "live", "ops", "go live")
        kit.clock.advance(timedelta(minutes=15))
        sim.faults.set_down(True)
        cid = open_position(kit, "0.2", execute=False)
        with pytest.raises(TradingBlocked, match="reconciled before the first live order"):
            kit.tasks.deps.execution.execute(cid)
        assert cid not in sim.stats.orders
        sim.faults.set_down(False)
        kit.clock.advance(timedelta(seconds=5))  # past the breaker's probe delay
        assert kit.tasks.deps.execution.execute(cid).state.value == "filled"
        flips = [
            e.payload
            for e in kit.runtime.journal.read(kinds=["reconciliation"])
            if e.payload.get("event") == "mode_flip"
        ]
        assert flips == [
            {
                "venue": "live",
                "event": "mode_flip",
                "from": "paper",
                "to": "live",
                "before": cid,
                "drifts": flips[0]["drifts"],
            }
        ]
        # the hand-placed order was adopted by that reconciliation, before our send
        assert kit.tasks.deps.execution.order("by-hand-1").venue == "live"
        assert sim.stats.orders == {cid: 1}
    finally:
        kit.close()


def _outside_order() -> OrderRequest:
    return OrderRequest(
        client_order_id="by-hand-1",
        symbol="BTC/USDT",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal("0.1"),
        price=Decimal(90),
        sent_at=START,
    )


def test_after_a_flip_back_to_paper_live_positions_are_still_closed_on_the_live_venue(
    sim: BinanceSimulator, env: pytest.MonkeyPatch
) -> None:
    kit = make_kit(sections=_live(sim.url))
    try:
        open_position(kit, "0.1")
        kit.runtime.flags.set("trading.mode", "paper", "ops", "back to paper")
        deps = kit.tasks.deps
        exit_ = OrderIntent(
            run_id=deps.run_id,
            strategy="test",
            symbol="BTC/USDT",
            signal_time=kit.clock.now(),
            side=Side.SELL,
            leg=OrderLeg.EXIT,
            order_type=OrderType.MARKET,
            quantity=Decimal("0.1"),
            reduce_only=True,
            cause=ExitCause(subject="trade-1", rule="test.close"),
        )
        approved = RiskDecision(
            symbol="BTC/USDT",
            as_of=kit.clock.now(),
            verdict=Verdict.APPROVED,
            quantity=Decimal("0.1"),
        )
        with session_scope(deps.engine) as session:
            stored = deps.execution.store_intent(session, exit_, approved)
        assert stored.order is not None
        assert stored.order.venue == "live"
        assert deps.execution.execute(exit_.client_order_id).state.value == "filled"
        assert sim.venue.positions() == []
        # a new entry after the flip goes to paper
        kit.clock.advance(timedelta(minutes=15))
        entry = open_position(kit, "0.1")
        assert deps.execution.order(entry).venue == "paper"
    finally:
        kit.close()


@pytest.mark.parametrize("venue", ["kraken", "coinbase", "bybit"])
def test_live_start_up_refuses_a_venue_whose_orders_cannot_be_found_by_our_id(
    venue: str, env: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match=f"live trading on {venue} is refused"):
        make_kit(sections=_live(venue=venue))


def test_the_stop_rests_at_the_live_venue_and_a_gap_through_it_closes_the_trade(
    sim: BinanceSimulator, env: pytest.MonkeyPatch
) -> None:
    """Protective orders through ccxt: after the live entry fills, a reduce-only stop and a
    take-profit rest at the simulator under derived ids; a bar gapping through the stop
    fills it there, and the next monitor pass closes the trade from that fill (found by
    ccxt's lookups and myTrades) and cancels the target."""
    with scripted_kit(sections=_live(sim.url)) as (kit, market):
        trade_id = open_trade(kit, "0.5", stop="95", target="110", venue="live")
        resting = {o.client_order_id: o for o in sim.venue.open_orders("BTC/USDT")}
        ours = {o.client_order_id: o for o in kit.tasks.deps.execution.orders()}
        assert set(resting) <= set(ours)
        kinds = sorted(ours[cid].order_type.value for cid in resting)
        assert kinds == ["limit", "stop"]
        assert all(ours[cid].reduce_only and ours[cid].venue == "live" for cid in resting)
        assert sim.venue.positions()[0].quantity == Decimal("0.5")
        ts = market.push(90, 91, 89, 90.5)  # gaps through the stop
        sim.venue.on_bar("BTC/USDT", *map(Decimal, ("90", "91", "89", "90.5")), ts=ts)
        kit.clock.set(ts + timedelta(minutes=15, seconds=5))
        kit.tasks.monitor()
        drain(kit)
        assert sim.venue.positions() == []
        assert sim.venue.open_orders("BTC/USDT") == []  # the target was cancelled
        with kit.tasks.deps.engine.connect() as conn:
            (trade,) = [t for t in trades(conn) if t.trade_id == trade_id]
        assert trade.state == "closed"
        assert sim.stats.orders
        assert max(sim.stats.orders.values()) == 1
