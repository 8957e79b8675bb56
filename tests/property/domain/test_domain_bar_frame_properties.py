"""BarFrame properties over generated frames: conversion and look-ahead-free slicing."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.strategies import bar_frames

from quorum.domain import BarFrame, first_bar_violation

EXAMPLES = settings(max_examples=40, deadline=None)


@EXAMPLES
@given(frame=bar_frames())
def test_generated_frames_pass_every_rule_and_rebuild_identically(frame: BarFrame) -> None:
    assert first_bar_violation(frame.df, frame.timeframe) is None
    rebuilt = BarFrame(frame.symbol, frame.timeframe, frame.df.copy())
    pd.testing.assert_frame_equal(rebuilt.df, frame.df)


@EXAMPLES
@given(frame=bar_frames())
def test_bars_are_valid_bar_values_matching_the_rows(frame: BarFrame) -> None:
    bars = frame.bars()
    assert len(bars) == len(frame)
    assert [pd.Timestamp(bar.ts) for bar in bars] == list(frame.df.index)
    assert [float(bar.close) for bar in bars] == list(frame.df["close"])
    assert [float(bar.volume) for bar in bars] == list(frame.df["volume"])
    assert all(bar.symbol == frame.symbol and bar.timeframe is frame.timeframe for bar in bars)


@EXAMPLES
@given(frame=bar_frames(), data=st.data())
def test_closed_at_keeps_exactly_the_bars_closed_by_as_of(
    frame: BarFrame, data: st.DataObject
) -> None:
    start = frame.df.index[0].to_pydatetime() if len(frame) else None
    if start is None:
        return
    span = (len(frame) + 2) * frame.timeframe.seconds
    offset = data.draw(st.integers(min_value=-frame.timeframe.seconds, max_value=span))
    as_of = start + timedelta(seconds=offset)
    closed = frame.closed_at(as_of)
    closes = frame.df.index + pd.Timedelta(seconds=frame.timeframe.seconds)
    expected = frame.df.index[closes <= pd.Timestamp(as_of)]
    assert list(closed.df.index) == list(expected)
    assert list(closed.df.index) == list(frame.df.index[: len(closed)])
