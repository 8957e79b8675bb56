"""The Binance spot simulator, driven by ccxt's own ``binance`` class over loopback HTTP.

Every request here is built, signed and parsed by ccxt exactly as against api.binance.com;
only the base URL differs (``ccxt_urls``)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, localcontext

import ccxt
import httpx
import pytest

from quorum.clock import SystemClock
from quorum.domain import Bar, OrderType, Side, Timeframe
from quorum.errors import OrderStatusUnknown
from quorum.execution import PaperVenue
from quorum.execution.ccxt_broker import CcxtBroker
from quorum.execution.paper.binance import BinanceSimulator, MarketSpec, ccxt_urls
from quorum.execution.paper.faults import FaultSettings
from quorum.execution.paper.model import PaperSettings
from quorum.ports import OrderRequest

KEY, SECRET = "test-key", "test-secret"  # pragma: allowlist secret


def _klines(symbol: str, interval: str, start, end) -> list[Bar]:  # type: ignore[no-untyped-def]
    tf = Timeframe(interval)
    ts = tf.floor(start)
    out = []
    while ts < end:
        out.append(
            Bar(
                symbol=symbol,
                timeframe=tf,
                ts=ts,
                open=Decimal(100),
                high=Decimal(101),
                low=Decimal(99),
                close=Decimal("100.5"),
                volume=Decimal(3),
            )
        )
        ts += tf.delta
    return out


@pytest.fixture
def sim(allow_loopback_orders: None) -> Iterator[BinanceSimulator]:
    clock = SystemClock()
    venue = PaperVenue(clock, PaperSettings(recv_window_s=5.0, amount_step=Decimal("0.00001")))
    venue.set_quote("BTC/USDT", Decimal(100), Decimal("100.1"), Decimal("100.05"))
    server = BinanceSimulator(
        venue,
        [MarketSpec("BTC/USDT")],
        clock=clock,
        api_key=KEY,
        secret=SECRET,
        klines=_klines,
    ).start()
    with localcontext():  # ccxt's precision helpers set the thread's context
        yield server
    server.stop()


def _exchange(sim: BinanceSimulator, **extra: object) -> ccxt.binance:
    config = ccxt_urls(sim.url)
    return ccxt.binance({"apiKey": KEY, "secret": SECRET, "timeout": 2000, **config, **extra})


def test_public_endpoints_parse_in_ccxt(sim: BinanceSimulator) -> None:
    ex = _exchange(sim)
    markets = ex.load_markets()
    market = markets["BTC/USDT"]
    assert market["spot"]
    assert market["active"]
    assert ex.amount_to_precision("BTC/USDT", "0.123456789") == "0.12345"
    assert ex.price_to_precision("BTC/USDT", "100.129") == "100.13"
    assert market["limits"]["cost"]["min"] == 5
    assert abs(ex.fetch_time() - ex.milliseconds()) < 2000
    bars = ex.fetch_ohlcv("BTC/USDT", "15m", limit=4)
    assert len(bars) >= 4
    assert bars[-1][4] == 100.5
    ticker = ex.fetch_bids_asks(["BTC/USDT"])["BTC/USDT"]
    assert (ticker["bid"], ticker["ask"]) == (100.0, 100.1)


def test_orders_round_trip_through_ccxt(sim: BinanceSimulator) -> None:
    ex = _exchange(sim)
    ex.load_markets()
    placed = ex.create_order("BTC/USDT", "market", "buy", 0.1, None, {"clientOrderId": "q-1"})
    assert placed["clientOrderId"] == "q-1"
    assert placed["status"] == "closed"
    assert placed["filled"] == 0.1
    assert placed["trades"]
    fetched = ex.fetch_order(None, "BTC/USDT", {"clientOrderId": "q-1"})
    assert fetched["id"] == placed["id"]
    assert fetched["filled"] == 0.1
    resting = ex.create_order("BTC/USDT", "limit", "buy", 0.1, 90, {"clientOrderId": "q-2"})
    assert resting["status"] == "open"
    stop = ex.create_order(
        "BTC/USDT", "market", "sell", 0.1, None, {"clientOrderId": "q-3", "triggerPrice": 95}
    )
    assert stop["type"] in ("stop_loss", "market")
    assert stop["status"] == "open"
    assert {o["clientOrderId"] for o in ex.fetch_open_orders("BTC/USDT")} == {"q-2", "q-3"}
    cancelled = ex.cancel_order(None, "BTC/USDT", {"clientOrderId": "q-2"})
    assert cancelled["status"] == "canceled"
    trades = ex.fetch_my_trades("BTC/USDT")
    assert [t["order"] for t in trades] == [placed["id"]]
    balance = ex.fetch_balance()
    assert balance["total"]["BTC"] == 0.1


def test_binance_errors_map_to_ccxt_exceptions(sim: BinanceSimulator) -> None:
    ex = _exchange(sim)
    ex.load_markets()
    ex.create_order("BTC/USDT", "limit", "buy", 0.1, 90, {"clientOrderId": "dup"})
    with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):
        ex.create_order("BTC/USDT", "limit", "buy", 0.1, 90, {"clientOrderId": "dup"})
    with pytest.raises(ccxt.OrderNotFound):
        ex.fetch_order(None, "BTC/USDT", {"clientOrderId": "nope"})
    with pytest.raises(ccxt.OrderNotFound):
        ex.cancel_order(None, "BTC/USDT", {"clientOrderId": "nope"})
    with pytest.raises(ccxt.InvalidOrder, match="LOT_SIZE"):
        ex.create_order("BTC/USDT", "limit", "buy", 10000, 90)
    with pytest.raises(ccxt.BadRequest, match="NOTIONAL"):
        ex.create_order("BTC/USDT", "limit", "buy", 0.01, 90)
    wrong = _exchange(sim, secret="other")
    wrong.markets, wrong.markets_by_id = ex.markets, ex.markets_by_id
    with pytest.raises(ccxt.AuthenticationError):
        wrong.fetch_balance()
    late = _exchange(sim)
    late.markets, late.markets_by_id = ex.markets, ex.markets_by_id
    late.options["recvWindow"] = 1000
    late.nonce = lambda: ex.milliseconds() - 3000
    with pytest.raises(ccxt.InvalidNonce):
        late.fetch_balance()
    assert sim.stats.orders == {"dup": 1}


def test_rate_limit_answers_429_with_retry_after_then_418(sim: BinanceSimulator) -> None:
    sim._weights.limit = 3
    with httpx.Client(base_url=sim.url) as client:
        codes = [client.get("/api/v3/ping").status_code for _ in range(10)]
        last = client.get("/api/v3/ping")
    assert codes[:3] == [200, 200, 200]
    assert codes[3] == 429
    assert 418 in codes or last.status_code == 418
    assert last.json()["code"] == -1003
    assert int(last.headers["Retry-After"]) >= 1
    assert "X-MBX-USED-WEIGHT-1M" in last.headers


def test_ccxt_broker_resolves_an_ambiguous_submit_by_client_id(sim: BinanceSimulator) -> None:
    clock = SystemClock()
    broker = CcxtBroker("binance", clock, exchange=_exchange(sim), recv_window_s=5)
    sim.faults.configure(FaultSettings(ambiguous_probability=1.0, ambiguous_kinds=("502",)))
    request = OrderRequest(
        client_order_id="amb-1",
        symbol="BTC/USDT",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal("0.1"),
        price=Decimal(90),
        sent_at=clock.now(),
    )
    with pytest.raises(OrderStatusUnknown):
        broker.submit(request)
    sim.faults.configure(FaultSettings())
    found = broker.fetch_order_by_client_id("BTC/USDT", "amb-1")
    assert found.status == "open"
    assert found.venue_order_id
    assert sim.stats.orders == {"amb-1": 1}


def test_outage_is_503_and_nothing_is_accepted(sim: BinanceSimulator) -> None:
    ex = _exchange(sim)
    ex.load_markets()
    sim.faults.set_down(True)
    with pytest.raises(ccxt.ExchangeNotAvailable):
        ex.create_order("BTC/USDT", "limit", "buy", 0.1, 90, {"clientOrderId": "down-1"})
    sim.faults.set_down(False)
    assert sim.stats.orders == {}


def test_a_revoked_key_is_refused_with_2015(sim: BinanceSimulator) -> None:
    ex = _exchange(sim)
    ex.load_markets()
    with httpx.Client(base_url=sim.url) as admin:
        admin.post("/admin/auth", json={"failed": True}).raise_for_status()
        with pytest.raises(ccxt.AuthenticationError, match="-2015"):
            ex.fetch_balance()
        admin.post("/admin/auth", json={"failed": False}).raise_for_status()
    assert ex.fetch_balance()["total"]["USDT"] > 0
