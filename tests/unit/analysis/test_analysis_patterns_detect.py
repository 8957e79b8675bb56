"""detect_patterns: all families together, ordering, input checks and parameter validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib
from pydantic import ValidationError

from quorum.analysis.patterns import (
    BreakoutParams,
    DivergenceParams,
    PatternParams,
    SwingParams,
    detect_patterns,
)
from quorum.analysis.patterns.detect import sort_key
from quorum.analysis.patterns.inputs import column, columns
from quorum.domain.analysis import PatternFamily
from quorum.domain.timeframe import Timeframe
from quorum.errors import ValidationFailed

SYMBOL = "BTC/USDT"


def walk(n: int = 400, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    open_ = np.r_[close[0], close[:-1]]
    spread = np.abs(rng.normal(0.0, 0.004, (2, n)))
    index = pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * (1 + spread[0]),
            "low": np.minimum(open_, close) * (1 - spread[1]),
            "close": close,
            "volume": rng.lognormal(3.0, 0.5, n),
        },
        index=index,
    )


def indicators(bars: pd.DataFrame) -> pd.DataFrame:
    h, low, c = (bars[k].to_numpy() for k in ("high", "low", "close"))
    macd, _signal, hist = talib.MACD(c, 12, 26, 9)
    return pd.DataFrame(
        {"atr": talib.ATR(h, low, c, 14), "rsi": talib.RSI(c, 14), "macd": macd, "macd_hist": hist},
        index=bars.index,
    )


def test_detect_patterns_on_a_random_walk_finds_several_families_sorted_by_confidence() -> None:
    bars = walk()
    hits = detect_patterns(SYMBOL, Timeframe.H1, bars, indicators(bars))
    assert PatternFamily.SUPPORT_RESISTANCE in {h.family for h in hits}
    assert hits == sorted(hits, key=sort_key)
    confidences = [h.confidence for h in hits]
    assert confidences == sorted(confidences, reverse=True)


def test_detect_patterns_gives_the_same_list_for_the_same_input() -> None:
    bars = walk(seed=11)
    ind = indicators(bars)
    first = detect_patterns(SYMBOL, Timeframe.H1, bars, ind)
    again = detect_patterns(SYMBOL, Timeframe.H1, bars.copy(), ind.copy())
    assert first == again


def test_detect_patterns_runs_every_family_on_its_known_setup() -> None:
    i = np.arange(40)
    close = np.r_[100.0 + np.sin(2 * np.pi * i / 10), 102.5]
    open_ = np.r_[close[0], close[:-1]]
    bars = pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + 0.1,
            "low": np.minimum(open_, close) - 0.1,
            "close": close,
            "volume": np.r_[np.full(40, 100.0), 250.0],
        },
        index=pd.date_range("2024-01-01", periods=41, freq="1h", tz="UTC"),
    )
    ind = pd.DataFrame({"atr": 1.0, "rsi": 50.0, "macd_hist": 0.0}, index=bars.index)
    families = {h.family for h in detect_patterns(SYMBOL, Timeframe.H1, bars, ind)}
    assert {PatternFamily.BREAKOUT, PatternFamily.SUPPORT_RESISTANCE} <= families


def test_empty_frame_gives_no_hits() -> None:
    bars = walk().iloc[:0]
    assert detect_patterns(SYMBOL, Timeframe.H1, bars, indicators(walk()).iloc[:0]) == []


def test_indicators_not_aligned_with_the_bars_are_refused_naming_ind() -> None:
    bars = walk()
    with pytest.raises(ValidationFailed, match=r"^ind: must be indexed like bars"):
        detect_patterns(SYMBOL, Timeframe.H1, bars.iloc[:-1], indicators(bars))


def test_bars_missing_a_column_are_refused_naming_bars() -> None:
    bars = walk()
    with pytest.raises(ValidationFailed, match=r"^bars: missing columns \['volume'\]"):
        detect_patterns(SYMBOL, Timeframe.H1, bars.drop(columns=["volume"]), indicators(bars))


def test_naive_index_is_refused() -> None:
    bars = walk()
    naive = bars.tz_localize(None)
    with pytest.raises(ValidationFailed, match="UTC DatetimeIndex"):
        detect_patterns(SYMBOL, Timeframe.H1, naive, indicators(bars).tz_localize(None))


def test_pattern_params_default_sections_are_documented_values() -> None:
    p = PatternParams()
    assert (p.swings.left, p.swings.right) == (5, 3)
    assert p.levels.cluster_atr == 0.5
    assert p.breakouts.min_volume_ratio == 1.5
    assert p.divergence.oscillators == ("rsi", "macd_hist")


def test_pattern_params_refuse_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="cluster_tolerance"):
        PatternParams.model_validate({"levels": {"cluster_tolerance": 1.0}})


def test_out_of_range_param_error_names_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        SwingParams(left=0)
    assert err.value.errors()[0]["loc"] == ("left",)


def test_cross_field_rules_name_the_first_field() -> None:
    with pytest.raises(ValidationError, match="max_gap: must be > min_gap"):
        DivergenceParams(min_gap=10, max_gap=10)
    with pytest.raises(ValidationError, match="full_break_atr: must be > min_break_atr"):
        BreakoutParams(min_break_atr=1.0, full_break_atr=0.5)
    with pytest.raises(ValidationError, match=r"divergence.max_age_bars: must be >= swings.right"):
        PatternParams(swings=SwingParams(right=8), divergence=DivergenceParams(max_age_bars=5))
    with pytest.raises(ValidationError, match="oscillators"):
        DivergenceParams.model_validate({"oscillators": ("stoch",)})


def test_params_are_frozen() -> None:
    p = PatternParams()
    with pytest.raises(ValidationError, match="frozen"):
        p.swings.left = 3  # type: ignore[misc]


def test_detect_patterns_leaves_the_callers_frames_writable_and_unchanged() -> None:
    bars = walk(n=120)
    ind = indicators(bars)
    before_bars, before_ind = bars.copy(), ind.copy()
    detect_patterns(SYMBOL, Timeframe.H1, bars, ind)
    pd.testing.assert_frame_equal(bars, before_bars)
    pd.testing.assert_frame_equal(ind, before_ind)
    bars.iloc[0, 0] = 1.0
    ind.iloc[-1, 0] = 1.0


def test_column_views_are_read_only_but_the_source_stays_writable() -> None:
    frame = pd.DataFrame({"atr": [1.0, 2.0], "label": ["a", "b"]})  # forces the per-column path
    (values,) = columns(frame, ("atr",), "ind")
    single = column(frame, "atr", "ind")
    assert not values.flags.writeable
    assert not single.flags.writeable
    frame.loc[0, "atr"] = 5.0
    series_frame = pd.Series([1.0, 2.0], name="atr").to_frame()
    column(series_frame, "atr", "ind")
    series_frame.iloc[0, 0] = 3.0
