"""The leverage a symbol trades at: 1 on a spot market; on a derivative market (its
``execution.markets[symbol].market_type`` is ``swap`` or ``future``) the configured
``risk.portfolio.leverage`` of that type (1 when not configured).

The signal carries it (the gate's ``portfolio.leverage`` and margin checks) and the monitor
gives it to the position it watches (the liquidation guard, ``monitor.liquidation``)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Literal

from quorum.execution import MarketLimits
from quorum.pipeline.deps import PipelineDeps

ONE = Decimal(1)


def market_leverage(deps: PipelineDeps, symbol: str) -> Decimal:
    """``symbol``'s leverage under the pipeline's execution and risk settings."""
    return leverage_for(symbol, deps.execution.settings.markets, deps.risk.portfolio.leverage)


def leverage_for(
    symbol: str,
    markets: Mapping[str, MarketLimits],
    by_type: Mapping[Literal["swap", "future"], Decimal],
) -> Decimal:
    """1 on spot (or an unknown market); else ``by_type`` of the market's type (1 when
    not listed)."""
    market = markets.get(symbol)
    kind = "spot" if market is None else market.market_type
    if kind == "spot":
        return ONE
    return by_type.get(kind, ONE)
