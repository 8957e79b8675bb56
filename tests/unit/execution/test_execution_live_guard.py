"""The suite runs with live order endpoints denied (tests/conftest.py ``live_order_guard``)."""

from __future__ import annotations

from typing import Any

import ccxt
import pytest


def test_an_order_placing_request_to_a_live_host_is_refused_and_counted(
    live_order_guard: Any,
) -> None:
    exchange = ccxt.binance({"apiKey": "k", "secret": "s"})

    with pytest.raises(RuntimeError, match="live order endpoint denied"):
        exchange.fetch("https://api.binance.com/api/v3/order", "POST", {}, "symbol=BTCUSDT")

    assert live_order_guard.denied.pop() == "POST https://api.binance.com/api/v3/order"
    assert live_order_guard.denied == []  # nothing else in this session reached a live host


def test_loopback_orders_are_refused_too_unless_a_test_opts_in(live_order_guard: Any) -> None:
    with pytest.raises(RuntimeError):
        live_order_guard.check("http://127.0.0.1:9/api/v3/order", "DELETE")
    live_order_guard.denied.pop()
    live_order_guard.loopback_allowed = True
    try:
        live_order_guard.check("http://127.0.0.1:9/api/v3/order", "DELETE")
    finally:
        live_order_guard.loopback_allowed = False
    assert live_order_guard.allowed[-1] == "DELETE http://127.0.0.1:9/api/v3/order"
