"""ccxt's own ``binance`` class, and a :class:`CcxtBroker` over it, pointed at a simulator.

Every remote use of the paper venue goes through Binance's protocol and ccxt — the code
path live trading uses (``quorum execution reconcile --venue URL``, the chaos workers).
The endpoints are re-based with :func:`~quorum.ccxt_adapter.config.exchange_config`, as
for a testnet; the credential is the simulator's local test key unless one is given.
"""

from __future__ import annotations

from typing import Any

import ccxt

from quorum.ccxt_adapter.config import exchange_config
from quorum.clock import Clock
from quorum.execution.ccxt_broker import CcxtBroker
from quorum.execution.paper.binance.server import SIM_API_KEY, SIM_SECRET
from quorum.execution.service import PAPER


def simulator_exchange(
    url: str, *, api_key: str = SIM_API_KEY, secret: str = SIM_SECRET, **config: Any
) -> ccxt.binance:
    """``ccxt.binance`` signing with ``api_key``/``secret``; ``config`` overrides ccxt's
    settings (e.g. ``timeout`` in ms, ``enableRateLimit``)."""
    base = exchange_config("binance", url)
    return ccxt.binance({**base, "apiKey": api_key, "secret": secret, **config})


def simulator_broker(
    url: str,
    clock: Clock,
    *,
    name: str = PAPER,
    recv_window_s: float | None = None,
    lookup_lag_s: float | None = None,
) -> CcxtBroker:
    """The paper venue served at ``url`` as a broker named ``name`` (``paper``: the orders
    paper mode stored); ``lookup_lag_s`` is how late the simulator may show a new order."""
    return CcxtBroker(
        "binance",
        clock,
        exchange=simulator_exchange(url),
        recv_window_s=recv_window_s,
        name=name,
        lookup_lag_s=lookup_lag_s,
    )
