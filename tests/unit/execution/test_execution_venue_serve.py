"""`quorum venue serve --protocol binance --port 0` as a process, reached by ccxt."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import localcontext

import ccxt
import pytest

from quorum.execution.paper.binance import ccxt_urls


@pytest.fixture
def served(allow_loopback_orders: None) -> Iterator[str]:
    cmd = [os.path.join(os.path.dirname(sys.executable), "quorum"), "venue", "serve", "--port", "0"]
    cmd += ["--symbols", "BTC/USDT", "--seed", "3"]
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
