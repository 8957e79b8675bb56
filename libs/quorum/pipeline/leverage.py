"""The leverage a symbol trades at: 1 on a spot market; on a derivative market (its
``execution.markets[symbol].market_type`` is ``swap`` or ``future``) the configured
``risk.portfolio.leverage`` of that type (1 when not configured).

The signal carries it (the gate's ``portfolio.leverage`` and margin checks) and the monitor
gives it to the position it watches (the liquidation guard, ``monitor.liquidation``)."""

from __future__ import annotations

from decimal import Decimal

from quorum.pipeline.deps import PipelineDeps

ONE = Decimal(1)


def market_leverage(deps: PipelineDeps, symbol: str) -> Decimal:
    market = deps.execution.settings.markets.get(symbol)
    if market is None or market.market_type == "spot":
        return ONE
    return deps.risk.portfolio.leverage.get(market.market_type, ONE)
