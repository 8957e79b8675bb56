"""Live mode through the composition root: ccxt → HTTP → the Binance simulator.

Reproduces #20's "every intent is refused: trading.mode live: no live broker" — the root
built only the paper broker — and shows the order at the simulator under our client id."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
from tests.unit.pipeline.kit import make_kit, open_position

from quorum.clock import SystemClock
from quorum.errors import ConfigError
from quorum.execution import PaperVenue
from quorum.execution.paper.binance import BinanceSimulator, MarketSpec
from quorum.execution.paper.model import PaperSettings

KEY, SECRET = "live-key", "live-secret"  # pragma: allowlist secret


@pytest.fixture
def sim(allow_loopback_orders: None) -> Iterator[BinanceSimulator]:
    clock = SystemClock()
    venue = PaperVenue(
        clock,
        PaperSettings(amount_step=Decimal("0.00001"), initial_balances={"USDT": Decimal(10**6)}),
    )
    venue.set_quote("BTC/USDT", Decimal(100), Decimal("100.1"), Decimal("100.05"))
    server = BinanceSimulator(
        venue, [MarketSpec("BTC/USDT")], clock=clock, api_key=KEY, secret=SECRET
    ).start()
    with localcontext():  # ccxt's precision helpers set the thread's context
        yield server
    server.stop()


def _live(sim: BinanceSimulator) -> dict[str, object]:
    return {
        "trading": {
            "mode": "live",
            "live_confirm": True,
            "exchange": {
                "id": "binance",
                "api_key_ref": "env:QUORUM_TEST_LIVE_KEY",
                "api_secret_ref": "env:QUORUM_TEST_LIVE_SECRET",
                "api_url": sim.url,
            },
        }
    }


def test_live_mode_orders_reach_the_venue_through_ccxt(
    sim: BinanceSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QUORUM_TEST_LIVE_KEY", KEY)
    monkeypatch.setenv("QUORUM_TEST_LIVE_SECRET", SECRET)
    kit = make_kit(sections=_live(sim))
    try:
        cid = open_position(kit, "0.1")
        order = kit.tasks.deps.execution.order(cid)
        assert order.venue == "live"
        assert order.state.value == "filled"
        assert sim.stats.orders == {cid: 1}
        assert sim.venue.positions()[0].quantity == Decimal("0.1")
    finally:
        kit.close()


def test_a_refused_key_stops_start_up_with_the_venues_answer(
    sim: BinanceSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QUORUM_TEST_LIVE_KEY", KEY)
    monkeypatch.setenv("QUORUM_TEST_LIVE_SECRET", "not-the-secret")
    with pytest.raises(ConfigError, match="refused the credentials") as caught:
        make_kit(sections=_live(sim))
    assert "-1022" in str(caught.value)
    assert "not-the-secret" not in str(caught.value)
