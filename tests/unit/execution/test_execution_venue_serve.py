"""`quorum venue serve --protocol binance --port 0` as a process, reached by ccxt."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import localcontext

import ccxt
import pytest

from quorum.execution.paper.binance import SIM_API_KEY, SIM_SECRET, ccxt_urls


def _serve(*extra: str) -> Iterator[str]:
    cmd = [os.path.join(os.path.dirname(sys.executable), "quorum"), "venue", "serve", "--port", "0"]
    cmd += ["--symbols", "BTC/USDT", "--seed", "3", *extra]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("listening http://127.0.0.1:"), line
        with localcontext():  # ccxt's precision helpers set the thread's context
            yield line.split()[1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def served(allow_loopback_orders: None) -> Iterator[str]:
    yield from _serve()


@pytest.fixture
def replayed(allow_loopback_orders: None) -> Iterator[str]:
    yield from _serve("--follow-client-time")


def test_served_simulator_trades_synthetic_klines_through_ccxt(served: str) -> None:
    ex = ccxt.binance({"apiKey": "quorum-sim", "secret": "quorum-sim-secret", **ccxt_urls(served)})
    ex.load_markets()
    bars = ex.fetch_ohlcv("BTC/USDT", "15m", limit=8)
    assert len(bars) == 8
    assert bars[-1][0] - bars[-2][0] == 15 * 60_000
    order = ex.create_order("BTC/USDT", "market", "buy", 0.1, None, {"clientOrderId": "s-1"})
    assert order["status"] == "closed"
    assert order["clientOrderId"] == "s-1"
    assert ex.fetch_balance()["total"]["BTC"] == 0.1


def test_a_replayed_simulator_lives_at_its_clients_signed_time(replayed: str) -> None:
    """A live run replayed over history signs with its replay clock: the simulator's clock
    follows (forward only) and the bars closed by then are its market."""
    signed_at = datetime(2024, 6, 1, 12, 7, tzinfo=UTC)
    ex = ccxt.binance({"apiKey": SIM_API_KEY, "secret": SIM_SECRET, **ccxt_urls(replayed)})
    ex.nonce = lambda: int(signed_at.timestamp() * 1000)
    ex.load_markets()
    ex.fetch_balance()  # signed: the simulator moves to 12:07 and feeds the bars to 12:00

    assert ex.fetch_time() == int(signed_at.timestamp() * 1000)
    bars = ex.fetch_ohlcv("BTC/USDT", "15m", limit=4)
    # the last closed bar; the forming one (12:00) would be the future of a bar source
    assert bars[-1][0] == int(datetime(2024, 6, 1, 11, 45, tzinfo=UTC).timestamp() * 1000)
    order = ex.create_order("BTC/USDT", "market", "buy", 0.1, None, {"clientOrderId": "r-1"})
    assert order["status"] == "closed"
    assert order["timestamp"] == int(signed_at.timestamp() * 1000)
    assert order["price"] == pytest.approx(bars[-1][4], rel=0.01)  # the last closed bar
