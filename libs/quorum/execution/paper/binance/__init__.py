"""A local exchange speaking Binance spot's REST protocol over the paper matching engine."""

from quorum.execution.paper.binance.protocol import BinanceError, MarketSpec
from quorum.execution.paper.binance.server import (
    SIM_API_KEY,
    SIM_SECRET,
    BinanceSimulator,
    KlineSource,
    ccxt_urls,
)

__all__ = [
    "SIM_API_KEY",
    "SIM_SECRET",
    "BinanceError",
    "BinanceSimulator",
    "KlineSource",
    "MarketSpec",
    "ccxt_urls",
]
