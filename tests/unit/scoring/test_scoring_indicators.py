"""indicator_signals: each rule on hand-picked values; missing inputs are skipped."""

from __future__ import annotations

import math

import pytest

from quorum.scoring import ScoringSettings, indicator_signals

SETTINGS = ScoringSettings()


@pytest.mark.parametrize(
    ("values", "name", "expected"),
    [
        ({"rsi": 20.0}, "rsi", 0.5),
        ({"rsi": 50.0}, "rsi", 0.0),
        ({"rsi": 95.0}, "rsi", -1.0),
        ({"stoch_k": 10.0}, "stoch", 0.5),
        ({"mfi": 90.0}, "mfi", -0.5),
        ({"cci": -150.0}, "cci", 0.5),
        ({"close": 90.0, "bb_lower": 95.0, "bb_upper": 105.0}, "bollinger", 1.0),
        ({"close": 106.0, "bb_lower": 95.0, "bb_upper": 105.0}, "bollinger", -0.2),
        ({"ema_fast": 101.0, "ema_slow": 100.0, "atr": 2.0}, "ema", math.tanh(0.5)),
        ({"macd_hist": -0.25, "atr": 2.0}, "macd", math.tanh(-0.5)),
        ({"plus_di": 30.0, "minus_di": 10.0, "adx": 12.5}, "dmi", 0.25),
    ],
)
def test_indicator_rule_gives_hand_computed_signal(
    values: dict[str, float], name: str, expected: float
) -> None:
    assert indicator_signals(values, SETTINGS)[name] == pytest.approx(expected)


def test_signals_without_inputs_or_scale_are_left_out() -> None:
    values = {"ema_fast": 1.0, "ema_slow": 2.0, "atr": 0.0, "macd_hist": 1.0, "obv_change": 5.0}
    assert indicator_signals(values, SETTINGS) == {}


def test_every_signal_is_clipped_to_unit_range() -> None:
    values = {
        "rsi": 0.0,
        "stoch_k": 100.0,
        "mfi": 0.0,
        "cci": 900.0,
        "close": 1.0,
        "bb_lower": 50.0,
        "bb_upper": 60.0,
        "ema_fast": 1e9,
        "ema_slow": 0.0,
        "atr": 1.0,
        "macd_hist": -1e9,
        "plus_di": 0.0,
        "minus_di": 40.0,
        "adx": 80.0,
    }
    signals = indicator_signals(values, SETTINGS)
    assert set(signals) == {"ema", "macd", "dmi", "rsi", "stoch", "mfi", "cci", "bollinger"}
    assert all(-1.0 <= v <= 1.0 for v in signals.values())
