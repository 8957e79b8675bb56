"""Builders shared by the market tests: clean raw bar frames and CSV files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quorum.domain import Timeframe

START = datetime(2024, 1, 1, tzinfo=UTC)

MakeBars = Callable[..., pd.DataFrame]


def build_bars(
    n: int = 10,
    timeframe: Timeframe = Timeframe.H1,
    start: datetime = START,
    price: float = 100.0,
) -> pd.DataFrame:
    """``n`` clean bars: open rises by 1 per bar, high = open + 1, low = open - 1."""
    index = pd.date_range(start, periods=n, freq=timeframe.pandas_freq, tz="UTC", name="ts")
    opens = price + np.arange(n, dtype="float64")
    return pd.DataFrame(
        {
            "open": opens,
            "high": opens + 1.0,
            "low": opens - 1.0,
            "close": opens + 0.5,
            "volume": 10.0 + np.arange(n, dtype="float64"),
        },
        index=index,
    )


@pytest.fixture
def make_bars() -> MakeBars:
    return build_bars


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[[str, list[str]], Path]:
    """Write a CSV with the standard header and the given data lines."""

    def write(name: str, lines: list[str]) -> Path:
        path = tmp_path / name
        path.write_text("\n".join(["timestamp,open,high,low,close,volume", *lines]) + "\n")
        return path

    return write


def csv_lines(frame: pd.DataFrame) -> list[str]:
    return [
        f"{ts.isoformat()},{r.open},{r.high},{r.low},{r.close},{r.volume}"
        for ts, r in zip(frame.index, frame.itertuples(index=False), strict=True)
    ]


@pytest.fixture
def bars_csv_lines() -> Callable[[pd.DataFrame], list[str]]:
    return csv_lines
