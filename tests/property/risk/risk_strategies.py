"""Hypothesis strategies for the risk properties: settings, markets, portfolios, signals."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from quorum.domain import Direction, Signal, Timeframe
from quorum.risk import (
    Exposure,
    MarketInfo,
    Portfolio,
    RiskSettings,
    TradeStats,
)

T0 = datetime(2024, 1, 3, 12, 0, tzinfo=UTC)
SYMBOL = "BTC/USDT"
OTHERS = ("ETH/USDT", "SOL/USDT", "XRP/USDT", "ADA/USDT")


def scaled(low: int, high: int, places: int) -> st.SearchStrategy[Decimal]:
    """Decimals ``n × 10^-places`` for integer ``n`` in [low, high]."""
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-places))


@st.composite
def risk_settings(draw: st.DrawFn) -> RiskSettings:
    floor = draw(scaled(10, 100, 4))  # 0.10 % .. 1 %
    cap = floor + draw(scaled(0, 400, 4))  # up to +4 %
    venue: dict[str, Any] = {"price_collar_fraction": draw(scaled(5, 100, 3))}
    if draw(st.booleans()):
        venue["max_order_quantity"] = {SYMBOL: draw(scaled(1, 10**6, 2))}
    if draw(st.booleans()):
        venue["default_max_order_notional"] = draw(scaled(100, 10**7, 0))
    data: dict[str, Any] = {
        "sizing": {
            "min_risk_fraction": floor,
            "max_risk_fraction": cap,
            "kelly_fraction": draw(scaled(5, 100, 2)),
            "kelly_max_fraction": draw(scaled(1, 20, 2)),
            "kelly_min_trades": draw(st.integers(1, 50)),
        },
        "stops": {
            "min_reward_risk": draw(scaled(5, 30, 1)),
            "stop_slippage_buffer": draw(scaled(0, 50, 4)),
        },
        "portfolio": {
            "max_position_risk_fraction": draw(scaled(1, 50, 3)),
            "max_position_notional_fraction": draw(scaled(5, 100, 2)),
            "max_total_exposure_fraction": draw(scaled(5, 300, 2)),
            "correlation_limit": draw(st.floats(0.1, 0.95)),
            "max_leverage": draw(st.integers(1, 10)),
            "margin_buffer": draw(scaled(100, 150, 2)),
        },
        "venue": venue,
        "account": {"max_trades": None},
    }
    return RiskSettings.model_validate(data)


@st.composite
def markets(draw: st.DrawFn, reference: Decimal) -> MarketInfo:
    step = draw(st.sampled_from([Decimal("0.0001"), Decimal("0.001"), Decimal("0.1"), Decimal(1)]))
    extra: dict[str, Any] = {}
    if draw(st.booleans()):
        extra["max_order_notional"] = draw(scaled(10, 10**6, 0))
    if draw(st.booleans()):
        extra["max_order_quantity"] = draw(scaled(1, 10**5, 1))
    return MarketInfo(
        symbol=SYMBOL,
        amount_step=step,
        price_tick=Decimal("0.01"),
        min_amount=draw(st.sampled_from([Decimal(0), step, step * 10])),
        min_notional=draw(scaled(0, 50, 0)),
        maker_fee=draw(scaled(0, 10, 4)),
        taker_fee=draw(scaled(0, 20, 4)),
        reference_price=reference,
        slippage=draw(scaled(0, 20, 4)),
        correlations={s: draw(st.floats(-1.0, 1.0)) for s in OTHERS if draw(st.booleans())},
        **extra,
    )


@st.composite
def portfolios(draw: st.DrawFn, strategy: str = "confluence") -> Portfolio:
    equity = draw(scaled(1_000, 10**7, 0))
    exposures = tuple(
        Exposure(
            symbol=draw(st.sampled_from((SYMBOL, *OTHERS))),
            direction=draw(st.sampled_from(list(Direction))),
            notional=draw(scaled(0, 10**6, 0)) * equity / 10**7,
            risk=draw(scaled(0, 10**5, 0)) * equity / 10**7,
            unrealized_pnl=draw(scaled(-(10**4), 10**4, 0)) * equity / 10**7,
        )
        for _ in range(draw(st.integers(0, 6)))
    )
    stats: dict[str, TradeStats] = {}
    if draw(st.booleans()):
        stats[strategy] = TradeStats(
            trades=draw(st.integers(0, 200)),
            win_rate=draw(st.floats(0.3, 0.9)),
            payoff_ratio=draw(scaled(8, 50, 1)),
        )
    return Portfolio(
        equity=equity,
        margin_available=draw(scaled(0, 10**6, 0)) * equity / 10**5,
        exposures=exposures,
        strategy_stats=stats,
    )


def make_signal(
    direction: Direction,
    entry: Decimal,
    stop_fraction: Decimal,
    reward: Decimal,
    confidence: float,
    leverage: Decimal = Decimal(1),
) -> Signal:
    sign = 1 if direction is Direction.LONG else -1
    return Signal(
        run_id="prop",
        strategy="confluence",
        symbol=SYMBOL,
        timeframe=Timeframe.H1,
        as_of=T0,
        direction=direction,
        entry=entry,
        stop_loss=entry * (1 - sign * stop_fraction),
        take_profit=entry * (1 + sign * stop_fraction * reward),
        confidence=confidence,
        leverage=leverage,
    )


entries = scaled(100, 10**7, 2)  # 1 .. 100,000
stop_fractions = scaled(10, 1000, 4)  # 0.1 % .. 10 %
rewards = scaled(10, 60, 1)  # 1.0 .. 6.0
confidences = st.floats(0.0, 1.0)
leverages = st.integers(1, 10).map(Decimal)
