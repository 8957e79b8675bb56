"""Whatever is wrong with a frame, the gates either refuse it or return valid closed bars,
and a repair never changes or drops a row without listing it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from quorum.domain import BAR_COLUMNS, Timeframe, first_bar_violation
from quorum.market import QualityPolicy, QualityRejected, check_bars

START = datetime(2024, 1, 1, tzinfo=UTC)
TF = Timeframe.M15
DROPPING = {"non_finite", "off_grid", "non_positive_price"}


def _frame(seed: int, n: int, faults: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.date_range(START, periods=n, freq="15min", tz="UTC", name="ts")
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.r_[50.0, close[:-1]]
    df = pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + 0.1,
            "low": np.minimum(open_, close) - 0.1,
            "close": close,
            "volume": rng.gamma(2.0, 5.0, n),
        },
        index=index,
    )
    stamps = df.index.to_numpy().copy()
    for _ in range(faults):
        i = int(rng.integers(n))
        kind = int(rng.integers(7))
        if kind == 0:
            df.iloc[i, int(rng.integers(5))] = rng.choice([np.nan, np.inf, -np.inf])
        elif kind == 1:
            df.iloc[i, 4] = -float(rng.integers(1, 100))
        elif kind == 2:
            df.iloc[i, 1] = df.iloc[i, 2] - 1.0  # high below low
        elif kind == 3:
            df.iloc[i, int(rng.integers(4))] = -1.0
        elif kind == 4:
            stamps[i] = stamps[int(rng.integers(n))]  # duplicate / out of order
        elif kind == 5:
            stamps[i] = stamps[i] + np.timedelta64(int(rng.integers(1, 899)), "s")
        else:
            df.iloc[i, 4] = 0.0
    df.index = pd.DatetimeIndex(stamps, tz="UTC", name="ts")
    return df


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 200), faults=st.integers(0, 12))
def test_repair_policy_always_returns_valid_bars_and_lists_every_change(
    seed: int, n: int, faults: int
) -> None:
    raw = _frame(seed, n, faults)
    now = START + timedelta(days=3)
    frame, report = check_bars(raw, "BTC/USDT", TF, now, QualityPolicy.repair_all(stale="report"))
    assert first_bar_violation(frame.df, TF) is None
    assert report.rows_out == len(frame)
    dropped = {"duplicates": 0, **dict.fromkeys(DROPPING, 0)}
    for row in report.repaired:
        if row.rule in DROPPING or row.action.startswith("dropped"):
            dropped[row.rule] += 1
    assert report.rows_in - sum(dropped.values()) == len(frame)
    # Rows that were not touched by any repair come through unchanged.
    touched = {r.ts for r in report.repaired}
    clean = raw.loc[~raw.index.isin(list(touched)) & ~raw.index.duplicated(keep=False)]
    clean = clean[np.isfinite(clean[list(BAR_COLUMNS)]).all(axis=1)]
    common = clean.index.intersection(frame.df.index)
    pd.testing.assert_frame_equal(
        frame.df.loc[common], clean.loc[common, list(BAR_COLUMNS)], check_freq=False
    )


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 200), faults=st.integers(0, 12))
def test_reject_policy_refuses_or_returns_the_input_unchanged(
    seed: int, n: int, faults: int
) -> None:
    raw = _frame(seed, n, faults)
    now = START + timedelta(days=3)
    rejected: QualityRejected | None = None
    try:
        frame, report = check_bars(raw, "BTC/USDT", TF, now, QualityPolicy(stale="report"))
    except QualityRejected as exc:
        rejected = exc
    if rejected is not None:
        assert not rejected.report.passed
        assert rejected.report.repaired == ()
        assert f": {rejected.report.rejected[0].rule}: " in str(rejected)
        return
    assert report.repaired == ()
    pd.testing.assert_frame_equal(frame.df, raw, check_freq=False)
