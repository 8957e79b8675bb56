"""Plain builders for valid domain values, for tests of every package.

Each ``make_x(**overrides)`` returns a *validated* value: realistic defaults,
with any field replaced by a keyword override. Overrides go through the same
validation as production data, so a builder never produces an invalid value;
pass a bad override and you get the model's error. Builders that depend on a
direction or state (signals, positions, orders) pick defaults that fit it.

No randomness without a seed and no wall-clock reads: the default time is
:data:`T0`, and :func:`make_bars_frame` is a pure function of its arguments.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from quorum.domain import (
    BAR_COLUMNS,
    AgentOpinion,
    Bar,
    BarFrame,
    ConfluenceScore,
    Direction,
    Fill,
    IndicatorSnapshot,
    JournalEntry,
    Order,
    OrderIntent,
    OrderLeg,
    OrderState,
    PatternHit,
    Position,
    PositionState,
    Quote,
    Regime,
    RiskDecision,
    RuleCheck,
    ScanResult,
    ScoreComponent,
    Side,
    Signal,
    Timeframe,
    TimeframeScan,
    Verdict,
    derive_client_order_id,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)
"""The default time of every builder: on every timeframe's grid."""

SYMBOL = "BTC/USDT"
RUN_ID = "run-1"
STRATEGY = "confluence"
ENTRY = Decimal("100")
"""Default entry / reference price; defaults keep stop 2% and take-profit 4% away."""

_STOP_FRACTION = Decimal("0.02")
_TP_FRACTION = Decimal("0.04")
GENESIS_HASH = "0" * 64


def default_client_order_id(side: Side = Side.BUY, leg: OrderLeg = OrderLeg.ENTRY) -> str:
    """The client order id of the default intent (``make_order_intent()``) for ``side``/``leg``."""
    return derive_client_order_id(RUN_ID, STRATEGY, SYMBOL, T0, side, leg)


def protective_levels(direction: Direction | str, entry: Decimal = ENTRY) -> dict[str, Decimal]:
    """``stop_loss`` 2% and ``take_profit`` 4% away from ``entry`` on the right sides."""
    sign = 1 if Direction(direction) is Direction.LONG else -1
    return {
        "stop_loss": entry * (1 - sign * _STOP_FRACTION),
        "take_profit": entry * (1 + sign * _TP_FRACTION),
    }


def _merge(defaults: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    return {**defaults, **overrides}


def _enum_or[E: StrEnum](kind: type[E], raw: object, fallback: E) -> E:
    """``raw`` as ``kind`` when it is a valid value, else ``fallback`` (validation reports it)."""
    if not isinstance(raw, str):
        return fallback
    try:
        return kind(raw)
    except ValueError:
        return fallback


def _price_or_entry(raw: object) -> Decimal:
    """``raw`` as a usable reference price, else :data:`ENTRY` (validation reports it)."""
    try:
        value = Decimal(str(raw))
        return value if value.is_finite() and value > 0 else ENTRY
    except ArithmeticError:
        return ENTRY


def make_bar(**overrides: Any) -> Bar:
    data = _merge(
        {
            "symbol": SYMBOL,
            "timeframe": Timeframe.H1,
            "ts": T0,
            "open": Decimal("100"),
            "high": Decimal("101.5"),
            "low": Decimal("99.25"),
            "close": Decimal("100.75"),
            "volume": Decimal("12.5"),
        },
        overrides,
    )
    return Bar.model_validate(data)


def make_quote(**overrides: Any) -> Quote:
    data = _merge(
        {
            "symbol": SYMBOL,
            "ts": T0,
            "bid": Decimal("99.99"),
            "ask": Decimal("100.01"),
            "last": Decimal("100"),
        },
        overrides,
    )
    return Quote.model_validate(data)


def make_indicator_snapshot(**overrides: Any) -> IndicatorSnapshot:
    data = _merge(
        {
            "symbol": SYMBOL,
            "timeframe": Timeframe.H1,
            "as_of": T0 + timedelta(hours=1),
            "bar_open": T0,
            "values": {"rsi_14": 55.5, "ema_20": 100.25, "atr_14": 1.75},
        },
        overrides,
    )
    return IndicatorSnapshot.model_validate(data)


def make_pattern_hit(**overrides: Any) -> PatternHit:
    data = _merge(
        {
            "symbol": SYMBOL,
            "timeframe": Timeframe.H1,
            "family": "breakout",
            "name": "range_breakout",
            "bias": "bullish",
            "confidence": 0.65,
            "bars": (T0 - timedelta(hours=1), T0),
            "level": Decimal("100.5"),
            "details": {"range_height": 2.5},
        },
        overrides,
    )
    return PatternHit.model_validate(data)


def make_regime(**overrides: Any) -> Regime:
    data = _merge(
        {
            "symbol": SYMBOL,
            "timeframe": Timeframe.H4,
            "as_of": T0,
            "kind": "bull",
            "strength": 0.6,
            "volatility_percentile": 0.4,
            "trend_score": 0.5,
        },
        overrides,
    )
    return Regime.model_validate(data)


def make_timeframe_scan(**overrides: Any) -> TimeframeScan:
    """A 1h scan at ``T0 + 1h`` (last closed bar opened at ``T0``) with one pattern hit."""
    timeframe = _enum_or(Timeframe, overrides.get("timeframe"), Timeframe.H1)
    as_of = overrides.get("as_of", T0 + timedelta(hours=1))
    symbol = overrides.get("symbol", SYMBOL)
    if not (isinstance(as_of, datetime) and as_of.utcoffset() is not None):
        as_of = T0 + timedelta(hours=1)  # the override itself is reported by validation
    last_open = timeframe.last_closed_open(as_of)
    same = {"symbol": symbol, "timeframe": timeframe}
    defaults: dict[str, Any] = {
        **same,
        "as_of": as_of,
        "bars": 500,
        "snapshot": make_indicator_snapshot(**same, as_of=as_of, bar_open=last_open),
        "patterns": (make_pattern_hit(**same, bars=(last_open,)),),
        "regime": make_regime(**same, as_of=as_of),
    }
    return TimeframeScan.model_validate(_merge(defaults, overrides))


def make_scan_result(**overrides: Any) -> ScanResult:
    """A 1h + 4h scan of the default symbol at ``T0 + 4h``."""
    as_of = overrides.get("as_of", T0 + timedelta(hours=4))
    symbol = overrides.get("symbol", SYMBOL)
    defaults: dict[str, Any] = {
        "symbol": symbol,
        "as_of": as_of,
        "timeframes": tuple(
            make_timeframe_scan(symbol=symbol, timeframe=tf, as_of=as_of)
            for tf in (Timeframe.H1, Timeframe.H4)
        ),
    }
    return ScanResult.model_validate(_merge(defaults, overrides))


def make_agent_opinion(**overrides: Any) -> AgentOpinion:
    """An opinion with a stance; ``make_agent_opinion(stance=None)`` is a typed "no opinion"."""
    defaults: dict[str, Any] = {
        "agent": "technical",
        "symbol": SYMBOL,
        "as_of": T0,
        "stance": "bullish",
        "confidence": 0.7,
        "key_evidence": ("close above ema_20", "rsi_14 rising"),
        "rationale": "Trend and momentum agree.",
        "model": "offline/echo",
        "prompt_version": "technical-v1",
    }
    if "stance" in overrides and overrides["stance"] is None:
        defaults.update(confidence=0.0, no_opinion_reason="no closed bars yet")
    return AgentOpinion.model_validate(_merge(defaults, overrides))


def make_score_component(**overrides: Any) -> ScoreComponent:
    data = _merge(
        {"name": "technical", "value": 0.5, "weight": 0.4, "contribution": 0.2}, overrides
    )
    return ScoreComponent.model_validate(data)


def make_confluence_score(**overrides: Any) -> ConfluenceScore:
    data = _merge(
        {
            "symbol": SYMBOL,
            "as_of": T0,
            "score": 0.35,
            "probability": 0.62,
            "components": (
                make_score_component(),
                make_score_component(name="regime", value=0.25, weight=0.6, contribution=0.15),
            ),
        },
        overrides,
    )
    return ConfluenceScore.model_validate(data)


def make_signal(**overrides: Any) -> Signal:
    """A long signal (entry 100, stop 98, take-profit 104) unless overridden.

    With ``direction="short"`` and no explicit levels the stop and take-profit
    are mirrored; with only ``entry`` given they follow it (2% / 4%).
    """
    direction = _enum_or(Direction, overrides.get("direction", Direction.LONG), Direction.LONG)
    entry = _price_or_entry(overrides.get("entry", ENTRY))
    defaults: dict[str, Any] = {
        "run_id": RUN_ID,
        "strategy": STRATEGY,
        "symbol": SYMBOL,
        "timeframe": Timeframe.H1,
        "as_of": T0,
        "direction": direction,
        "entry": entry,
        **protective_levels(direction, entry),
        "confidence": 0.7,
        "leverage": Decimal(1),
        "explanation": "technical and regime agree",
    }
    return Signal.model_validate(_merge(defaults, overrides))


def make_rule_check(**overrides: Any) -> RuleCheck:
    data = _merge(
        {"rule": "max_risk_per_trade", "passed": True, "measured": "0.8%", "limit": "1%"},
        overrides,
    )
    return RuleCheck.model_validate(data)


def make_risk_decision(**overrides: Any) -> RiskDecision:
    """An approval for quantity 0.5; ``verdict="rejected"`` gets quantity 0 and a failed check."""
    defaults: dict[str, Any] = {
        "symbol": SYMBOL,
        "as_of": T0,
        "verdict": "approved",
        "quantity": Decimal("0.5"),
        "checks": (make_rule_check(),),
        "reason": "",
    }
    if _enum_or(Verdict, overrides.get("verdict"), Verdict.APPROVED) is Verdict.REJECTED:
        defaults.update(
            quantity=Decimal(0),
            checks=(
                make_rule_check(rule="max_open_positions", passed=False, measured="3", limit="3"),
            ),
            reason="max_open_positions reached",
        )
    return RiskDecision.model_validate(_merge(defaults, overrides))


def make_order_intent(**overrides: Any) -> OrderIntent:
    """A market buy entry for 0.5; the client order id is derived unless given."""
    data = _merge(
        {
            "run_id": RUN_ID,
            "strategy": STRATEGY,
            "symbol": SYMBOL,
            "signal_time": T0,
            "side": Side.BUY,
            "leg": OrderLeg.ENTRY,
            "order_type": "market",
            "quantity": Decimal("0.5"),
        },
        overrides,
    )
    return OrderIntent.model_validate(data)


def make_order(**overrides: Any) -> Order:
    """A new limit buy for 0.5 at 100; fill fields follow ``state`` unless given.

    ``FILLED`` defaults to fully filled, ``PARTIALLY_FILLED`` to 40% filled,
    both at the order price.
    """
    state = _enum_or(OrderState, overrides.get("state", OrderState.NEW), OrderState.NEW)
    quantity = _price_or_entry(overrides.get("quantity", Decimal("0.5")))
    price = overrides.get("price", Decimal("100"))
    defaults: dict[str, Any] = {
        "client_order_id": default_client_order_id(),
        "venue_order_id": None,
        "symbol": SYMBOL,
        "side": Side.BUY,
        "order_type": "limit",
        "quantity": quantity,
        "price": price,
        "state": state,
        "updated_at": T0,
    }
    filled = {
        OrderState.FILLED: quantity,
        OrderState.PARTIALLY_FILLED: quantity * Decimal("0.4"),
    }.get(state)
    if filled is not None:
        defaults.update(filled_quantity=filled, average_price=price or ENTRY)
    if state is not OrderState.NEW:
        defaults["venue_order_id"] = "venue-1"
    return Order.model_validate(_merge(defaults, overrides))


def make_fill(**overrides: Any) -> Fill:
    data = _merge(
        {
            "client_order_id": default_client_order_id(),
            "venue_trade_id": "trade-1",
            "symbol": SYMBOL,
            "side": Side.BUY,
            "quantity": Decimal("0.5"),
            "price": Decimal("100"),
            "fee": Decimal("0.05"),
            "fee_currency": "USDT",
            "liquidity": "taker",
            "ts": T0,
        },
        overrides,
    )
    return Fill.model_validate(data)


def make_position(**overrides: Any) -> Position:
    """An armed long (stop 98, take-profit 104 around entry 100); fields follow ``state``.

    ``ACTIVE``/``EXITING`` default to quantity 0.5 at average entry 100,
    ``CLOSED`` to a closed time one hour after opening. ``direction="short"``
    mirrors the default levels.
    """
    state = _enum_or(PositionState, overrides.get("state"), PositionState.ARMED)
    direction = _enum_or(Direction, overrides.get("direction"), Direction.LONG)
    entry = _price_or_entry(overrides.get("average_entry") or ENTRY)
    defaults: dict[str, Any] = {
        "position_id": "pos-1",
        "run_id": RUN_ID,
        "symbol": SYMBOL,
        "direction": direction,
        "state": state,
        **protective_levels(direction, entry),
        "opened_at": T0,
    }
    if state in (PositionState.ACTIVE, PositionState.EXITING, PositionState.CLOSED):
        defaults.update(quantity=Decimal("0.5"), average_entry=entry)
    if state is PositionState.CLOSED:
        defaults["closed_at"] = T0 + timedelta(hours=1)
    return Position.model_validate(_merge(defaults, overrides))


def make_journal_entry(**overrides: Any) -> JournalEntry:
    """A well-formed entry; ``hash`` is a placeholder digest, not the journal's chain hash."""
    seq = int(overrides.get("seq", 1))
    defaults: dict[str, Any] = {
        "seq": seq,
        "time": T0,
        "kind": "signal",
        "actor": "agents.graph",
        "run_id": RUN_ID,
        "payload": {"symbol": SYMBOL, "direction": "long", "entry": "100"},
        "prev_hash": GENESIS_HASH,
        "hash": hashlib.sha256(f"builder-entry-{seq}".encode()).hexdigest(),
    }
    return JournalEntry.model_validate(_merge(defaults, overrides))


def _default_decimals(price: float) -> int:
    """About six significant digits: 2 places at 30k, 4 at 100, 9 at 0.001."""
    return max(2, 6 - math.floor(math.log10(price)))


def _check_frame_args(n: int, start: datetime, timeframe: Timeframe) -> None:
    if n < 0:
        raise ValueError(f"n: must be >= 0 (got {n})")
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError(f"start: must be timezone-aware (got {start.isoformat()})")
    if not timeframe.is_on_grid(start):
        raise ValueError(f"start: {start.isoformat()} is not on the {timeframe} grid")


def _frame(
    opens: np.ndarray[Any, np.dtype[np.float64]],
    closes: np.ndarray[Any, np.dtype[np.float64]],
    up: np.ndarray[Any, np.dtype[np.float64]],
    down: np.ndarray[Any, np.dtype[np.float64]],
    volume: np.ndarray[Any, np.dtype[np.float64]],
    start: datetime,
    timeframe: Timeframe,
    decimals: int,
) -> pd.DataFrame:
    tick = 10.0**-decimals
    o = np.maximum(np.round(opens, decimals), tick)
    c = np.maximum(np.round(closes, decimals), tick)
    h = np.maximum(np.round(np.maximum(o, c) * (1 + up), decimals), np.maximum(o, c))
    low = np.minimum(np.round(np.minimum(o, c) * (1 - down), decimals), np.minimum(o, c))
    low = np.maximum(low, tick)
    index = pd.date_range(
        start=pd.Timestamp(start).tz_convert("UTC"),
        periods=len(o),
        freq=timeframe.pandas_freq,
        name="ts",
    )
    columns = dict(zip(BAR_COLUMNS, (o, h, low, c, np.round(volume, 4)), strict=True))
    return pd.DataFrame(columns, index=index)


def make_bars_df(
    n: int = 100,
    start: datetime = T0,
    timeframe: Timeframe = Timeframe.H1,
    seed: int = 0,
    *,
    start_price: float = 100.0,
    volatility: float = 0.01,
    decimals: int | None = None,
) -> pd.DataFrame:
    """A valid OHLCV DataFrame: a seeded geometric random walk of ``n`` bars from ``start``.

    Prices are rounded to ``decimals`` places (default: about six significant
    digits of ``start_price``); every row satisfies the bar-frame rules. The
    same arguments always give the same frame. Use this to corrupt rows in
    tests; use :func:`make_bars_frame` for a validated frame.
    """
    _check_frame_args(n, start, timeframe)
    if not (start_price > 0 and math.isfinite(start_price)):
        raise ValueError(f"start_price: must be finite and > 0 (got {start_price})")
    if not 0 <= volatility < 0.5:
        raise ValueError(f"volatility: must be in [0, 0.5) (got {volatility})")
    rng = np.random.default_rng(seed)
    closes = start_price * np.exp(np.cumsum(rng.normal(0.0, volatility, size=n)))
    opens = np.concatenate(([start_price], closes[:-1]))[:n]
    up = np.abs(rng.normal(0.0, volatility / 2, size=n))
    down = np.minimum(np.abs(rng.normal(0.0, volatility / 2, size=n)), 0.5)
    volume = rng.gamma(2.0, 50.0, size=n)
    places = _default_decimals(start_price) if decimals is None else decimals
    return _frame(opens, closes, up, down, volume, start, timeframe, places)


def make_bars_frame(
    n: int = 100,
    start: datetime = T0,
    timeframe: Timeframe = Timeframe.H1,
    seed: int = 0,
    *,
    symbol: str = SYMBOL,
    start_price: float = 100.0,
    volatility: float = 0.01,
    decimals: int | None = None,
) -> BarFrame:
    """A validated :class:`BarFrame` built from :func:`make_bars_df` with the same arguments."""
    df = make_bars_df(
        n,
        start,
        timeframe,
        seed,
        start_price=start_price,
        volatility=volatility,
        decimals=decimals,
    )
    return BarFrame(symbol, timeframe, df)


def bars_df_from_closes(
    closes: Sequence[float],
    start: datetime = T0,
    timeframe: Timeframe = Timeframe.H1,
    *,
    wick: float = 0.002,
    volume: float = 100.0,
    decimals: int = 8,
) -> pd.DataFrame:
    """A valid OHLCV DataFrame with exactly the given closes (each bar opens at the last close).

    Highs and lows sit ``wick`` (a fraction) beyond the bar body; volume is
    constant. Handy for indicator and pattern tests that need a known path.
    """
    _check_frame_args(len(closes), start, timeframe)
    c = np.asarray(closes, dtype="float64")
    if c.size and not (np.isfinite(c).all() and (c > 0).all()):
        raise ValueError("closes: every close must be finite and > 0")
    if not 0 <= wick < 0.5:
        raise ValueError(f"wick: must be in [0, 0.5) (got {wick})")
    opens = np.concatenate((c[:1], c[:-1]))
    body = np.full(c.size, wick)
    return _frame(opens, c, body, body, np.full(c.size, volume), start, timeframe, decimals)
