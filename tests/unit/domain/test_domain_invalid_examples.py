"""Every domain model rejects each invalid example with an error naming the field and the rule.

Each case starts from a valid instance (from ``quorum.testing``), replaces some
fields, and expects a pydantic ``ValidationError`` with one error whose location
or message names ``field`` and whose message contains ``rule``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from pydantic_core import to_jsonable_python
from tests.strategies import MODEL_STRATEGIES

from quorum import domain
from quorum.domain import DomainModel, ExitCause, OrderState, PositionState, TradingStatus
from quorum.testing import (
    T0,
    default_client_order_id,
    make_agent_opinion,
    make_bar,
    make_confluence_score,
    make_fill,
    make_indicator_snapshot,
    make_journal_entry,
    make_order,
    make_order_intent,
    make_pattern_hit,
    make_position,
    make_quote,
    make_regime,
    make_risk_decision,
    make_rule_check,
    make_scan_result,
    make_score_component,
    make_signal,
    make_timeframe_scan,
)

NAIVE = datetime(2024, 1, 1)
NAN = Decimal("NaN")
INF = Decimal("Infinity")
GT0 = "greater than 0"
GE0 = "greater than or equal to 0"
FINITE = "finite number"
AWARE = "should have timezone info"
SYMBOL_RULE = "must be a ccxt unified symbol BASE/QUOTE"
EXTRA = "Extra inputs are not permitted"


def _validate(model: type[DomainModel], data: dict[str, Any] | str) -> DomainModel:
    if isinstance(data, str):
        return model.model_validate_json(data)
    return model.model_validate(data)


def assert_rejected(
    model: type[DomainModel], data: dict[str, Any] | str, field: str, rule: str
) -> None:
    """``model`` refuses ``data`` (a dict, or a JSON document); one error names ``field``
    (in its location or at the start of its message) and contains ``rule``."""
    with pytest.raises(ValidationError) as info:
        _validate(model, data)
    errors = info.value.errors()
    for error in errors:
        where = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        names_field = where == field or where.startswith(field + ".") or message.startswith(field)
        if names_field and rule in message:
            assert field in str(info.value)
            assert rule in str(info.value)
            return
    pytest.fail(f"no error names field {field!r} with rule {rule!r}: {errors}")


def case(
    build: Callable[[], DomainModel], changes: dict[str, Any], field: str, rule: str, id: str
) -> Any:
    return pytest.param(build, changes, field, rule, id=id)


def _symbol_cases(build: Callable[[], DomainModel], prefix: str) -> list[Any]:
    bad = ["btcusdt", "BTC-USDT", "btc/usdt", "BTCUSDT", "BTC/", "/USDT", "BTC/USDT\n", " BTC/USDT"]
    return [
        case(build, {"symbol": text}, "symbol", SYMBOL_RULE, f"{prefix}-symbol-{text!r}")
        for text in bad
    ]


BAR_CASES = [
    case(make_bar, {"open": Decimal(0)}, "open", GT0, "bar-zero-open"),
    case(make_bar, {"low": Decimal("-1")}, "low", GT0, "bar-negative-low"),
    case(make_bar, {"high": NAN}, "high", FINITE, "bar-nan-high"),
    case(make_bar, {"close": INF}, "close", FINITE, "bar-inf-close"),
    case(make_bar, {"close": -INF}, "close", FINITE, "bar-minus-inf-close"),
    case(make_bar, {"volume": Decimal("-0.1")}, "volume", GE0, "bar-negative-volume"),
    case(make_bar, {"volume": NAN}, "volume", FINITE, "bar-nan-volume"),
    case(make_bar, {"ts": NAIVE}, "ts", AWARE, "bar-naive-ts"),
    case(make_bar, {"ts": T0 + timedelta(minutes=30)}, "ts", "not on the 1h grid", "bar-off-grid"),
    case(
        make_bar,
        {"timeframe": "1d", "ts": T0 + timedelta(hours=1)},
        "ts",
        "not on the 1d grid",
        "bar-daily-not-midnight",
    ),
    case(
        make_bar,
        {"low": Decimal("100.5")},
        "low",
        "must be <= open and close",
        "bar-low-above-open",
    ),
    case(
        make_bar,
        {"high": Decimal("100.5")},
        "high",
        "must be >= open and close",
        "bar-high-below-close",
    ),
    case(make_bar, {"timeframe": "2h"}, "timeframe", "Input should be", "bar-unknown-timeframe"),
    case(make_bar, {"vwap": Decimal(1)}, "vwap", EXTRA, "bar-unknown-key"),
    *_symbol_cases(make_bar, "bar"),
]

QUOTE_CASES = [
    case(make_quote, {"bid": Decimal("100.02")}, "bid", "must be <= ask", "quote-crossed"),
    case(make_quote, {"bid": Decimal(0)}, "bid", GT0, "quote-zero-bid"),
    case(make_quote, {"ask": NAN}, "ask", FINITE, "quote-nan-ask"),
    case(make_quote, {"last": Decimal("-5")}, "last", GT0, "quote-negative-last"),
    case(make_quote, {"ts": NAIVE}, "ts", AWARE, "quote-naive-ts"),
    case(make_quote, {"mid": 1}, "mid", EXTRA, "quote-unknown-key"),
]

ANALYSIS_CASES = [
    case(
        make_indicator_snapshot,
        {"values": {"rsi_14": float("nan")}},
        "values",
        "must be finite",
        "snapshot-nan-value",
    ),
    case(
        make_indicator_snapshot,
        {"values": {"atr_14": float("inf")}},
        "values",
        "must be finite",
        "snapshot-inf-value",
    ),
    case(
        make_indicator_snapshot,
        {"as_of": T0 + timedelta(minutes=59)},
        "bar_open",
        "is not closed at as_of",
        "snapshot-bar-still-open",
    ),
    case(make_indicator_snapshot, {"as_of": NAIVE}, "as_of", AWARE, "snapshot-naive-as-of"),
    case(make_indicator_snapshot, {"extra": 1}, "extra", EXTRA, "snapshot-unknown-key"),
    case(
        make_pattern_hit,
        {"confidence": -0.01},
        "confidence",
        "greater than or equal to 0",
        "pattern-confidence-negative",
    ),
    case(
        make_pattern_hit,
        {"confidence": 1.01},
        "confidence",
        "less than or equal to 1",
        "pattern-confidence-above-one",
    ),
    case(make_pattern_hit, {"bars": ()}, "bars", "at least 1 item", "pattern-no-bars"),
    case(
        make_pattern_hit,
        {"bars": (T0, T0 - timedelta(hours=1))},
        "bars",
        "must be in time order",
        "pattern-bars-unordered",
    ),
    case(make_pattern_hit, {"bars": (NAIVE,)}, "bars", AWARE, "pattern-naive-bar"),
    case(make_pattern_hit, {"level": Decimal(0)}, "level", GT0, "pattern-zero-level"),
    case(make_pattern_hit, {"name": ""}, "name", "at least 1 character", "pattern-empty-name"),
    case(
        make_pattern_hit,
        {"details": {"height": float("nan")}},
        "details",
        "must be finite",
        "pattern-nan-detail",
    ),
    case(make_pattern_hit, {"family": "cup"}, "family", "Input should be", "pattern-bad-family"),
    case(
        make_regime,
        {"strength": 1.01},
        "strength",
        "less than or equal to 1",
        "regime-strength-above-one",
    ),
    case(
        make_regime,
        {"volatility_percentile": -0.01},
        "volatility_percentile",
        "greater than or equal to 0",
        "regime-volatility-negative",
    ),
    case(
        make_regime,
        {"trend_score": 1.5},
        "trend_score",
        "less than or equal to 1",
        "regime-trend-above-one",
    ),
    case(make_regime, {"trend_score": float("nan")}, "trend_score", FINITE, "regime-trend-nan"),
    case(make_regime, {"kind": "crab"}, "kind", "Input should be", "regime-unknown-kind"),
    *_symbol_cases(make_regime, "regime"),
]

SCAN_CASES = [
    case(make_timeframe_scan, {"bars": -1}, "bars", GE0, "timeframe-scan-negative-bars"),
    case(make_timeframe_scan, {"as_of": NAIVE}, "as_of", AWARE, "timeframe-scan-naive-as-of"),
    case(
        make_timeframe_scan,
        {"snapshot": {"symbol": "BTC/USDT"}},
        "snapshot.timeframe",
        "Field required",
        "timeframe-scan-incomplete-snapshot",
    ),
    case(
        make_scan_result,
        {"timeframes": (make_timeframe_scan(symbol="ETH/USDT", as_of=T0 + timedelta(hours=4)),)},
        "timeframes",
        "every entry must be for BTC/USDT",
        "scan-result-other-symbol",
    ),
    case(
        make_scan_result,
        {"timeframes": (make_timeframe_scan(),)},
        "timeframes",
        "every entry must be for BTC/USDT at 2024-01-01T04:00:00+00:00",
        "scan-result-other-as-of",
    ),
    case(make_scan_result, {"as_of": NAIVE}, "as_of", AWARE, "scan-result-naive-as-of"),
    *_symbol_cases(make_scan_result, "scan-result"),
]

OPINION_CASES = [
    case(
        make_agent_opinion,
        {"stance": None, "confidence": 0.0},
        "no_opinion_reason",
        "required when stance is None",
        "opinion-none-without-reason",
    ),
    case(
        make_agent_opinion,
        {"stance": None, "confidence": 0.0, "no_opinion_reason": ""},
        "no_opinion_reason",
        "required when stance is None",
        "opinion-none-with-empty-reason",
    ),
    case(
        make_agent_opinion,
        {"stance": None, "confidence": 0.5, "no_opinion_reason": "llm timeout"},
        "confidence",
        "must be 0 when there is no opinion",
        "opinion-none-with-confidence",
    ),
    case(
        make_agent_opinion,
        {"no_opinion_reason": "llm timeout"},
        "no_opinion_reason",
        "only allowed when stance is None",
        "opinion-stance-with-reason",
    ),
    case(
        make_agent_opinion,
        {"confidence": -0.01},
        "confidence",
        "greater than or equal to 0",
        "opinion-confidence-negative",
    ),
    case(
        make_agent_opinion,
        {"confidence": 1.01},
        "confidence",
        "less than or equal to 1",
        "opinion-confidence-above-one",
    ),
    case(
        make_agent_opinion,
        {"confidence": float("nan")},
        "confidence",
        FINITE,
        "opinion-confidence-nan",
    ),
    case(make_agent_opinion, {"agent": ""}, "agent", "at least 1 character", "opinion-no-agent"),
    case(make_agent_opinion, {"as_of": NAIVE}, "as_of", AWARE, "opinion-naive-as-of"),
    case(make_agent_opinion, {"stance": "up"}, "stance", "Input should be", "opinion-bad-stance"),
    case(make_agent_opinion, {"score": 1}, "score", EXTRA, "opinion-unknown-key"),
]

SCORE_CASES = [
    case(
        make_score_component,
        {"value": 1.01},
        "value",
        "less than or equal to 1",
        "component-value-above-one",
    ),
    case(
        make_score_component,
        {"weight": -0.1},
        "weight",
        "greater than or equal to 0",
        "component-negative-weight",
    ),
    case(
        make_score_component,
        {"contribution": float("inf")},
        "contribution",
        FINITE,
        "component-inf-contribution",
    ),
    case(
        make_confluence_score,
        {"score": -1.01},
        "score",
        "greater than or equal to -1",
        "score-below-minus-one",
    ),
    case(
        make_confluence_score,
        {"probability": 1.01},
        "probability",
        "less than or equal to 1",
        "score-probability-above-one",
    ),
    case(make_confluence_score, {"as_of": NAIVE}, "as_of", AWARE, "score-naive-as-of"),
]

SIGNAL_CASES = [
    case(make_signal, {"entry": Decimal(0)}, "entry", GT0, "signal-zero-entry"),
    case(make_signal, {"entry": Decimal("-100")}, "entry", GT0, "signal-negative-entry"),
    case(make_signal, {"entry": NAN}, "entry", FINITE, "signal-nan-entry"),
    case(make_signal, {"entry": INF}, "entry", FINITE, "signal-inf-entry"),
    case(make_signal, {"stop_loss": Decimal(0)}, "stop_loss", GT0, "signal-zero-stop"),
    case(make_signal, {"take_profit": NAN}, "take_profit", FINITE, "signal-nan-take-profit"),
    case(
        make_signal,
        {"stop_loss": Decimal("101")},
        "stop_loss",
        "must be below entry for a long",
        "signal-long-stop-above-entry",
    ),
    case(
        make_signal,
        {"stop_loss": Decimal("100")},
        "stop_loss",
        "must be below entry for a long",
        "signal-long-stop-at-entry",
    ),
    case(
        make_signal,
        {"direction": "short", "stop_loss": Decimal("99"), "take_profit": Decimal("90")},
        "stop_loss",
        "must be above entry for a short",
        "signal-short-stop-below-entry",
    ),
    case(
        make_signal,
        {"stop_loss": Decimal("99.95")},
        "stop_loss",
        "outside [0.1%, 10%]",
        "signal-long-stop-0.05pct",
    ),
    case(
        make_signal,
        {"stop_loss": Decimal("89.5")},
        "stop_loss",
        "outside [0.1%, 10%]",
        "signal-long-stop-10.5pct",
    ),
    case(
        make_signal,
        {"direction": "short", "stop_loss": Decimal("100.05"), "take_profit": Decimal("90")},
        "stop_loss",
        "outside [0.1%, 10%]",
        "signal-short-stop-0.05pct",
    ),
    case(
        make_signal,
        {"direction": "short", "stop_loss": Decimal("110.5"), "take_profit": Decimal("90")},
        "stop_loss",
        "outside [0.1%, 10%]",
        "signal-short-stop-10.5pct",
    ),
    case(
        make_signal,
        {"take_profit": Decimal("99")},
        "take_profit",
        "must be above entry for a long",
        "signal-long-take-profit-below-entry",
    ),
    case(
        make_signal,
        {"take_profit": Decimal("100")},
        "take_profit",
        "must be above entry for a long",
        "signal-long-take-profit-at-entry",
    ),
    case(
        make_signal,
        {"direction": "short", "stop_loss": Decimal("102"), "take_profit": Decimal("101")},
        "take_profit",
        "must be below entry for a short",
        "signal-short-take-profit-above-entry",
    ),
    case(
        make_signal,
        {"leverage": Decimal("0.5")},
        "leverage",
        "greater than or equal to 1",
        "signal-leverage-0.5",
    ),
    case(
        make_signal,
        {"leverage": Decimal(11)},
        "leverage",
        "less than or equal to 10",
        "signal-leverage-11",
    ),
    case(make_signal, {"leverage": NAN}, "leverage", FINITE, "signal-leverage-nan"),
    case(
        make_signal,
        {"confidence": -0.01},
        "confidence",
        "greater than or equal to 0",
        "signal-confidence-negative",
    ),
    case(
        make_signal,
        {"confidence": 1.01},
        "confidence",
        "less than or equal to 1",
        "signal-confidence-above-one",
    ),
    case(make_signal, {"as_of": NAIVE}, "as_of", AWARE, "signal-naive-as-of"),
    case(make_signal, {"run_id": ""}, "run_id", "at least 1 character", "signal-empty-run-id"),
    case(make_signal, {"direction": "up"}, "direction", "Input should be", "signal-bad-direction"),
    case(make_signal, {"size": Decimal(1)}, "size", EXTRA, "signal-unknown-key"),
    *_symbol_cases(make_signal, "signal"),
]

RISK_CASES = [
    case(
        make_risk_decision,
        {"verdict": "rejected", "quantity": Decimal("0.5")},
        "quantity",
        "must be 0 when the verdict is rejected",
        "risk-rejected-with-quantity",
    ),
    case(
        lambda: make_risk_decision(verdict="rejected"),
        {"checks": (make_rule_check(),)},
        "checks",
        "a rejection must name at least one failed rule",
        "risk-rejected-without-failed-check",
    ),
    case(
        lambda: make_risk_decision(verdict="rejected"),
        {"checks": ()},
        "checks",
        "a rejection must name at least one failed rule",
        "risk-rejected-without-checks",
    ),
    case(
        make_risk_decision,
        {"quantity": Decimal(0)},
        "quantity",
        "must be > 0 when the verdict is approved",
        "risk-approved-zero-quantity",
    ),
    case(
        make_risk_decision,
        {"verdict": "resized", "quantity": Decimal(0)},
        "quantity",
        "must be > 0 when the verdict is resized",
        "risk-resized-zero-quantity",
    ),
    case(make_risk_decision, {"quantity": Decimal("-1")}, "quantity", GE0, "risk-negative-qty"),
    case(make_risk_decision, {"quantity": NAN}, "quantity", FINITE, "risk-nan-quantity"),
    case(make_risk_decision, {"verdict": "maybe"}, "verdict", "Input should be", "risk-verdict"),
    case(make_risk_decision, {"as_of": NAIVE}, "as_of", AWARE, "risk-naive-as-of"),
    case(make_rule_check, {"rule": ""}, "rule", "at least 1 character", "rule-check-no-name"),
]


def _exit_cause() -> ExitCause:
    return ExitCause(subject="trade-1", rule="monitor.stop_loss")


_INTENT_ID = default_client_order_id()
_TAMPERED_ID = _INTENT_ID[:-1] + ("0" if _INTENT_ID[-1] != "0" else "1")

INTENT_CASES = [
    case(make_order_intent, {"quantity": Decimal(0)}, "quantity", GT0, "intent-zero-quantity"),
    case(make_order_intent, {"quantity": INF}, "quantity", FINITE, "intent-inf-quantity"),
    case(
        make_order_intent,
        {"order_type": "limit"},
        "price",
        "required for a limit order",
        "intent-limit-without-price",
    ),
    case(
        make_order_intent,
        {"order_type": "stop"},
        "stop_price",
        "required for a stop order",
        "intent-stop-without-stop-price",
    ),
    case(
        make_order_intent,
        {"price": Decimal("100")},
        "price",
        "must be empty for a market order",
        "intent-market-with-price",
    ),
    case(
        make_order_intent,
        {"order_type": "limit", "price": Decimal(0)},
        "price",
        GT0,
        "intent-zero-limit-price",
    ),
    case(
        make_order_intent,
        {"client_order_id": _TAMPERED_ID},
        "client_order_id",
        "must be derived from the decision",
        "intent-tampered-client-id",
    ),
    case(
        make_order_intent,
        {"client_order_id": _INTENT_ID, "leg": "stop_loss"},
        "client_order_id",
        "must be derived from the decision",
        "intent-client-id-of-another-leg",
    ),
    case(
        make_order_intent,
        {"run_id": "run\x1f1"},
        "run_id",
        "must not contain the control character",
        "intent-run-id-with-separator",
    ),
    case(make_order_intent, {"signal_time": NAIVE}, "signal_time", AWARE, "intent-naive-time"),
    case(make_order_intent, {"side": "long"}, "side", "Input should be", "intent-bad-side"),
    case(make_order_intent, {"leverage": 2}, "leverage", EXTRA, "intent-unknown-key"),
    case(
        make_order_intent,
        {"cause": {"subject": "trade-1", "rule": "monitor.stop_loss"}},
        "cause",
        "only a reduce-only exit (leg other than entry) has a cause",
        "intent-entry-with-a-cause",
    ),
    case(_exit_cause, {"generation": -1}, "generation", GE0, "exit-cause-negative-generation"),
    case(_exit_cause, {"subject": ""}, "subject", "at least 1 character", "exit-cause-no-subject"),
    case(_exit_cause, {"rule": ""}, "rule", "at least 1 character", "exit-cause-no-rule"),
    *_symbol_cases(make_order_intent, "intent"),
]

ORDER_CASES = [
    case(
        make_order,
        {"filled_quantity": Decimal("0.6"), "average_price": Decimal("100")},
        "filled_quantity",
        "must be <= quantity",
        "order-filled-above-quantity",
    ),
    case(
        make_order,
        {"filled_quantity": Decimal("0.1")},
        "average_price",
        "required once anything is filled",
        "order-filled-without-average-price",
    ),
    case(
        lambda: make_order(state=OrderState.FILLED),
        {"filled_quantity": Decimal("0.4")},
        "filled_quantity",
        "a filled order must be fully filled",
        "order-filled-state-partly-filled",
    ),
    case(make_order, {"quantity": Decimal(0)}, "quantity", GT0, "order-zero-quantity"),
    case(make_order, {"price": Decimal("-1")}, "price", GT0, "order-negative-price"),
    case(
        make_order,
        {"filled_quantity": Decimal("-0.1")},
        "filled_quantity",
        GE0,
        "order-negative-filled",
    ),
    case(
        make_order,
        {"client_order_id": "q123"},
        "client_order_id",
        "at least 8 characters",
        "order-short-client-id",
    ),
    case(make_order, {"updated_at": NAIVE}, "updated_at", AWARE, "order-naive-updated-at"),
    case(make_order, {"state": "open"}, "state", "Input should be", "order-unknown-state"),
    case(make_order, {"tif": "gtc"}, "tif", EXTRA, "order-unknown-key"),
]

FILL_CASES = [
    case(make_fill, {"quantity": Decimal(0)}, "quantity", GT0, "fill-zero-quantity"),
    case(make_fill, {"price": NAN}, "price", FINITE, "fill-nan-price"),
    case(make_fill, {"fee": Decimal("-0.01")}, "fee", GE0, "fill-negative-fee"),
    case(
        make_fill,
        {"venue_trade_id": ""},
        "venue_trade_id",
        "at least 1 character",
        "fill-empty-trade-id",
    ),
    case(make_fill, {"ts": NAIVE}, "ts", AWARE, "fill-naive-ts"),
    case(make_fill, {"liquidity": "both"}, "liquidity", "Input should be", "fill-bad-liquidity"),
]


def _active(direction: str = "long") -> Callable[[], DomainModel]:
    return lambda: make_position(state=PositionState.ACTIVE, direction=direction)


POSITION_CASES = [
    case(
        _active(),
        {"stop_loss": Decimal("100.5")},
        "stop_loss",
        "must be below entry for a long",
        "position-long-stop-above-entry",
    ),
    case(
        _active("short"),
        {"stop_loss": Decimal("99.5")},
        "stop_loss",
        "must be above entry for a short",
        "position-short-stop-below-entry",
    ),
    case(
        _active(),
        {"stop_loss": Decimal("89.5")},
        "stop_loss",
        "outside [0.1%, 10%]",
        "position-stop-10.5pct",
    ),
    case(
        _active(),
        {"stop_loss": Decimal("99.95")},
        "stop_loss",
        "outside [0.1%, 10%]",
        "position-stop-0.05pct",
    ),
    case(
        _active("short"),
        {"take_profit": Decimal("101")},
        "take_profit",
        "must be below entry for a short",
        "position-short-take-profit-above-entry",
    ),
    case(
        _active(),
        {"quantity": Decimal(0)},
        "quantity",
        "must be > 0 while active",
        "position-active-without-quantity",
    ),
    case(
        lambda: make_position(state=PositionState.EXITING),
        {"average_entry": None},
        "average_entry",
        "required while exiting",
        "position-exiting-without-entry",
    ),
    case(
        lambda: make_position(state=PositionState.CLOSED),
        {"closed_at": None},
        "closed_at",
        "required once closed",
        "position-closed-without-time",
    ),
    case(
        make_position,
        {"closed_at": T0 + timedelta(hours=1)},
        "closed_at",
        "only allowed once closed",
        "position-armed-with-closed-time",
    ),
    case(
        lambda: make_position(state=PositionState.CLOSED),
        {"closed_at": T0 - timedelta(seconds=1)},
        "closed_at",
        "must be >= opened_at",
        "position-closed-before-opened",
    ),
    case(_active(), {"average_entry": Decimal(0)}, "average_entry", GT0, "position-zero-entry"),
    case(make_position, {"stop_loss": Decimal(0)}, "stop_loss", GT0, "position-zero-stop"),
    case(make_position, {"fees": Decimal("-1")}, "fees", GE0, "position-negative-fees"),
    case(make_position, {"quantity": Decimal("-1")}, "quantity", GE0, "position-negative-qty"),
    case(make_position, {"realized_pnl": NAN}, "realized_pnl", FINITE, "position-nan-pnl"),
    case(make_position, {"opened_at": NAIVE}, "opened_at", AWARE, "position-naive-opened-at"),
    case(make_position, {"state": "open"}, "state", "Input should be", "position-bad-state"),
]

JOURNAL_CASES = [
    case(make_journal_entry, {"seq": 0}, "seq", "greater than or equal to 1", "journal-seq-0"),
    case(
        make_journal_entry,
        {"prev_hash": "abc"},
        "prev_hash",
        "should match pattern",
        "journal-short-prev-hash",
    ),
    case(
        make_journal_entry,
        {"hash": "A" * 64},
        "hash",
        "should match pattern",
        "journal-upper-case-hash",
    ),
    case(
        make_journal_entry,
        {"hash": "0" * 64 + "\n"},
        "hash",
        "should match pattern",
        "journal-hash-trailing-newline",
    ),
    case(make_journal_entry, {"actor": ""}, "actor", "at least 1 character", "journal-no-actor"),
    case(make_journal_entry, {"time": NAIVE}, "time", AWARE, "journal-naive-time"),
    case(make_journal_entry, {"kind": "chat"}, "kind", "Input should be", "journal-bad-kind"),
    case(make_journal_entry, {"signature": "x"}, "signature", EXTRA, "journal-unknown-key"),
]


def make_trading_status() -> TradingStatus:
    return TradingStatus(state="halted", by="alice", reason="drill", since=T0, version=3)


TRADING_CASES = [
    case(make_trading_status, {"state": "paused"}, "state", "Input should be", "trading-state"),
    case(make_trading_status, {"version": -1}, "version", "greater than or equal to 0", "tv"),
    case(make_trading_status, {"since": NAIVE}, "since", AWARE, "trading-naive-since"),
    case(make_trading_status, {"by": "x" * 121}, "by", "at most 120 characters", "trading-by"),
    case(make_trading_status, {"flag": True}, "flag", EXTRA, "trading-unknown-key"),
]

ALL_CASES = [
    *BAR_CASES,
    *QUOTE_CASES,
    *ANALYSIS_CASES,
    *SCAN_CASES,
    *OPINION_CASES,
    *SCORE_CASES,
    *SIGNAL_CASES,
    *RISK_CASES,
    *INTENT_CASES,
    *ORDER_CASES,
    *FILL_CASES,
    *POSITION_CASES,
    *JOURNAL_CASES,
    *TRADING_CASES,
]


@pytest.mark.parametrize(("build", "changes", "field", "rule"), ALL_CASES)
def test_model_rejects_invalid_example_naming_field_and_rule(
    build: Callable[[], DomainModel], changes: dict[str, Any], field: str, rule: str
) -> None:
    valid = build()
    data = {**valid.model_dump(), **changes}
    assert_rejected(type(valid), data, field, rule)


@pytest.mark.parametrize(("build", "changes", "field", "rule"), ALL_CASES)
def test_model_rejects_invalid_example_arriving_as_json(
    build: Callable[[], DomainModel], changes: dict[str, Any], field: str, rule: str
) -> None:
    valid = build()
    document = {**valid.model_dump(mode="json"), **to_jsonable_python(changes)}
    assert_rejected(type(valid), json.dumps(document), field, rule)


def test_every_exported_domain_model_has_a_strategy_and_invalid_examples() -> None:
    exported = {
        obj
        for obj in vars(domain).values()
        if isinstance(obj, type) and issubclass(obj, DomainModel) and obj is not DomainModel
    }
    covered = {type(param.values[0]()) for param in ALL_CASES}
    assert not exported - set(MODEL_STRATEGIES), "add a strategy in tests/strategies.py"
    assert not exported - covered, "add invalid examples in this module"
