"""`quorum run` in live mode against the Binance simulator (#20 "Done when").

The run replays synthetic bars; its live broker (ccxt's ``binance`` class) signs every
request with the replay clock, and the simulator lives at that time (its clock follows the
signed timestamps, its engine is fed the same synthetic bars as they close). Checked at the
simulator: our derived client ids, the exchange filters, a protective stop per entry, no
duplicate client id accepted, and our fills equal the simulator's account."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from apps.cli.commands.venue import synthetic_klines
from apps.cli.main import app
from quorum.clock import ReplayClock
from quorum.domain import Side
from quorum.execution import PaperVenue
from quorum.execution.paper.binance import BinanceSimulator, MarketSpec
from quorum.execution.paper.binance.replay import ClientTime
from quorum.execution.paper.model import PaperSettings

KEY, SECRET = "run-key", "run-secret"  # pragma: allowlist secret
SYMBOLS = ["BTC/USDT", "ETH/USDT"]
SEED = 5


@pytest.fixture
def sim(allow_loopback_orders: None) -> Iterator[BinanceSimulator]:
    clock = ReplayClock(datetime(2024, 12, 31, tzinfo=UTC))
    venue = PaperVenue(
        clock,
        PaperSettings(amount_step=Decimal("0.00001"), initial_balances={"USDT": Decimal(10_000)}),
    )
    _, klines = synthetic_klines(SEED)
    server = BinanceSimulator(
        venue,
        [MarketSpec(symbol) for symbol in SYMBOLS],
        clock=clock,
        api_key=KEY,
        secret=SECRET,
        klines=klines,
        client_time=ClientTime(clock, venue, klines, SYMBOLS),
    ).start()
    with localcontext():  # ccxt's precision helpers set the thread's context
        yield server
    server.stop()


def test_quorum_run_trades_live_through_ccxt_on_the_simulator(
    sim: BinanceSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "QUORUM_TRADING__MODE": "live",
        "QUORUM_TRADING__LIVE_CONFIRM": "true",
        "QUORUM_TRADING__EXCHANGE__ID": "binance",
        "QUORUM_TRADING__EXCHANGE__API_KEY_REF": "env:SIM_KEY",
        "QUORUM_TRADING__EXCHANGE__API_SECRET_REF": "env:SIM_SECRET",
        "SIM_KEY": KEY,
        "SIM_SECRET": SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    args = ["run", "--data", f"synthetic:{SEED}", "--symbols", ",".join(SYMBOLS)]
    args += ["--steps", "48", "--exchange-url", sim.url, "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    engine = create_engine(summary["database"])
    with engine.connect() as conn:
        orders = conn.execute(
            text(
                "SELECT client_order_id, leg, state, order_type, reduce_only, symbol, side "
                "FROM execution_orders WHERE venue = 'live'"
            )
        ).all()
        fills = conn.execute(
            text("SELECT symbol, side, quantity FROM execution_fills WHERE venue = 'live'")
        ).all()
    accepted = sim.stats.orders
    assert accepted, "the run sent no live order"
    assert max(accepted.values()) == 1  # no client id accepted twice
    assert set(accepted) <= {o.client_order_id for o in orders}  # all ours, derived
    assert not [o for o in orders if o.state == "rejected"]  # filters obeyed
    entries = [o for o in orders if o.leg == "entry" and o.state == "filled"]
    assert entries, "no live entry filled"
    stops = [o for o in orders if o.order_type == "stop" and o.reduce_only]
    for entry in entries:
        assert any(s.symbol == entry.symbol for s in stops), f"no stop for {entry}"
    ours: dict[str, Decimal] = defaultdict(Decimal)
    for symbol, side, quantity in fills:
        ours[symbol] += Decimal(quantity) * (1 if side == Side.BUY.value else -1)
    venue = {p.symbol: p.quantity for p in sim.venue.positions()}
    assert {s: q for s, q in ours.items() if q} == venue
