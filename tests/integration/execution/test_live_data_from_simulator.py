"""`quorum run --live-data ccxt:binance --exchange-url URL` paper-trades the simulator's
klines: the market data of the run is what the exchange at that URL serves (#20)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import localcontext
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli.commands.venue import synthetic_klines
from apps.cli.main import app
from quorum.clock import SystemClock
from quorum.execution import PaperVenue
from quorum.execution.paper.binance import BinanceSimulator, MarketSpec


@pytest.fixture
def sim(allow_loopback_orders: None) -> Iterator[BinanceSimulator]:
    clock = SystemClock()
    _, klines = synthetic_klines(11)
    calls: list[str] = []

    def counted(symbol, interval, start, end):  # type: ignore[no-untyped-def]
        calls.append(f"{symbol} {interval}")
        return klines(symbol, interval, start, end)

    server = BinanceSimulator(
        PaperVenue(clock),
        [MarketSpec("BTC/USDT")],
        clock=clock,
        api_key="k",
        secret="s",  # pragma: allowlist secret
        klines=counted,
    ).start()
    server.kline_calls = calls  # type: ignore[attr-defined]
    with localcontext():
        yield server
    server.stop()


def test_run_on_live_data_reads_the_klines_of_the_exchange_url(
    sim: BinanceSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["run", "--live-data", "ccxt:binance", "--exchange-url", sim.url]
    args += ["--symbols", "BTC/USDT", "--timeframes", "15m,1h", "--steps", "4", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["steps"] == 4
    assert summary["journal"]["verified"] is True
    assert summary["bars_scanned"] > 0
    calls = sim.kline_calls  # type: ignore[attr-defined]
    assert "BTC/USDT 15m" in calls
