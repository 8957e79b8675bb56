"""Shared input for the indicator tests: a seeded, tick-rounded random walk."""

from __future__ import annotations

import numpy as np
import pandas as pd


def random_walk_bars(n: int, seed: int, start: float = 100.0, tick: float = 0.01) -> pd.DataFrame:
    """Hourly OHLCV bars of a geometric random walk (1 % per bar), prices on a tick grid."""
    rng = np.random.default_rng(seed)
    close = start * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    open_ = np.r_[start, close[:-1]] * np.exp(rng.normal(0.0, 0.002, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.005, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.005, n)))
    prices = [np.round(x / tick) * tick for x in (open_, high, low, close)]
    index = pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC", name="ts")
    return pd.DataFrame(
        {
            "open": prices[0],
            "high": prices[1],
            "low": prices[2],
            "close": prices[3],
            "volume": rng.lognormal(10.0, 1.0, n),
        },
        index=index,
    )
