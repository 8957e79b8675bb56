"""Quality gates: every rule rejects by default naming symbol, timeframe, row and rule,
and repairs (when asked) are listed row by row."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from quorum.domain import Timeframe, first_bar_violation
from quorum.errors import DataQualityError, ValidationFailed
from quorum.market import (
    SOURCE_ROW,
    QualityPolicy,
    QualityRejected,
    check_bars,
    empty_raw_frame,
    guard_exchange_time,
)

SYMBOL = "BTC/USDT"
TF = Timeframe.H1
START = datetime(2024, 1, 1, tzinfo=UTC)
NOW = START + timedelta(hours=10)  # all ten default bars are closed
ROW4 = START + timedelta(hours=4)

Corrupt = Callable[[pd.DataFrame], pd.DataFrame]


def _set(column: str, value: float) -> Corrupt:
    def corrupt(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[df.index[4], column] = value
        return df

    return corrupt


def _move_index(position: int, to: datetime) -> Corrupt:
    def corrupt(df: pd.DataFrame) -> pd.DataFrame:
        stamps = df.index.tolist()
        stamps[position] = pd.Timestamp(to)
        df.index = pd.DatetimeIndex(stamps, name="ts")
        return df

    return corrupt


def _swap_4_and_5(df: pd.DataFrame) -> pd.DataFrame:
    order = [0, 1, 2, 3, 5, 4, 6, 7, 8, 9]
    return df.iloc[order]


def _high_below_low(df: pd.DataFrame) -> pd.DataFrame:
    df.loc[df.index[4], "high"] = df["low"].iloc[4] - 1.0
    return df


# (rule, corruption, timestamp named in the message)
CASES: list[tuple[str, Corrupt, datetime]] = [
    ("non_finite", _set("close", float("nan")), ROW4),
    ("non_finite", _set("volume", float("inf")), ROW4),
    ("off_grid", _move_index(4, ROW4 + timedelta(minutes=7)), ROW4 + timedelta(minutes=7)),
    ("out_of_order", _swap_4_and_5, ROW4),
    ("duplicates", _move_index(5, ROW4), ROW4),
    ("non_positive_price", _set("open", 0.0), ROW4),
    ("ohlc", _high_below_low, ROW4),
    ("ohlc", _set("low", 200.0), ROW4),
    ("negative_volume", _set("volume", -5.0), ROW4),
]
IDS = [f"{rule}-{i}" for i, (rule, _, _) in enumerate(CASES)]


def test_check_bars_passes_a_clean_frame_unchanged(make_bars: Callable[..., pd.DataFrame]) -> None:
    raw = make_bars()
    frame, report = check_bars(raw, SYMBOL, TF, NOW)
    pd.testing.assert_frame_equal(frame.df, raw, check_freq=False)
    assert report.passed
    assert report.problems == ()
    assert (report.rows_in, report.rows_out) == (10, 10)
    assert report.first_ts == START
    assert report.last_ts == START + timedelta(hours=9)


@pytest.mark.parametrize(("rule", "corrupt", "row_ts"), CASES, ids=IDS)
def test_each_rule_rejects_by_default_naming_symbol_timeframe_row_and_rule(
    make_bars: Callable[..., pd.DataFrame], rule: str, corrupt: Corrupt, row_ts: datetime
) -> None:
    with pytest.raises(QualityRejected) as caught:
        check_bars(corrupt(make_bars()), SYMBOL, TF, NOW)
    message = str(caught.value)
    assert message.startswith(f"{SYMBOL} {TF} row {row_ts.isoformat()}")
    assert f": {rule}: " in message
    problem = caught.value.report.problem(rule)
    assert problem is not None
    assert problem.action == "rejected"
    assert problem.first_ts == row_ts
    assert not caught.value.report.passed


@pytest.mark.parametrize(("rule", "corrupt", "row_ts"), CASES, ids=IDS)
def test_each_repairable_rule_is_repaired_and_flagged_under_repair_policy(
    make_bars: Callable[..., pd.DataFrame], rule: str, corrupt: Corrupt, row_ts: datetime
) -> None:
    frame, report = check_bars(corrupt(make_bars()), SYMBOL, TF, NOW, QualityPolicy.repair_all())
    assert report.passed
    problem = report.problem(rule)
    assert problem is not None
    assert problem.action == "repaired"
    flagged = [r for r in report.repaired if r.rule == rule]
    assert flagged, "a repair must list the rows it touched"
    assert row_ts in {r.ts for r in flagged}
    assert first_bar_violation(frame.df, TF) is None


def test_repair_drops_non_finite_and_non_positive_rows(
    make_bars: Callable[..., pd.DataFrame],
) -> None:
    raw = make_bars()
    raw.loc[raw.index[2], "high"] = np.nan
    raw.loc[raw.index[6], "close"] = -1.0
    frame, report = check_bars(raw, SYMBOL, TF, NOW, QualityPolicy.repair_all())
    assert len(frame) == 8
    assert raw.index[2] not in frame.df.index
    assert raw.index[6] not in frame.df.index
    # dropped rows leave holes in the grid, reported as gaps
    assert report.counts() == {"non_finite": 1, "non_positive_price": 1, "gaps": 2}


def test_repair_of_duplicates_keeps_the_last_copy_and_lists_the_dropped_one(
    make_bars: Callable[..., pd.DataFrame],
) -> None:
    raw = _move_index(5, ROW4)(make_bars())
    frame, report = check_bars(raw, SYMBOL, TF, NOW, QualityPolicy.repair_all())
    assert len(frame) == 9
    assert frame.df.loc[pd.Timestamp(ROW4), "open"] == 105.0  # the later row's values
    actions = sorted(r.action for r in report.repaired if r.rule == "duplicates")
    assert actions == [
        "dropped, an earlier copy of a repeated timestamp",
        "kept this, the last copy",
    ]


def test_repair_sorts_out_of_order_rows(make_bars: Callable[..., pd.DataFrame]) -> None:
    raw = make_bars()
    frame, report = check_bars(_swap_4_and_5(raw), SYMBOL, TF, NOW, QualityPolicy.repair_all())
    pd.testing.assert_frame_equal(frame.df, raw, check_freq=False)
    assert report.problem("out_of_order") is not None
    assert report.problem("out_of_order").count == 1  # type: ignore[union-attr]


def test_repair_clips_ohlc_to_the_range_of_the_four_prices(
    make_bars: Callable[..., pd.DataFrame],
) -> None:
    raw = _high_below_low(make_bars())  # open 104, high 102, low 103, close 104.5
    frame, _ = check_bars(raw, SYMBOL, TF, NOW, QualityPolicy.repair_all())
    row = frame.df.loc[pd.Timestamp(ROW4)]
    assert (row["high"], row["low"]) == (104.5, 102.0)


def test_repair_sets_negative_volume_to_zero_and_counts_it_as_zero_volume(
    make_bars: Callable[..., pd.DataFrame],
) -> None:
    frame, report = check_bars(
        _set("volume", -5.0)(make_bars()), SYMBOL, TF, NOW, QualityPolicy.repair_all()
    )
    assert frame.df.loc[pd.Timestamp(ROW4), "volume"] == 0.0
    assert report.zero_volume == 1


def test_repair_leaves_the_input_frame_untouched(make_bars: Callable[..., pd.DataFrame]) -> None:
    raw = _set("volume", -5.0)(make_bars())
    before = raw.copy()
    check_bars(raw, SYMBOL, TF, NOW, QualityPolicy.repair_all())
    pd.testing.assert_frame_equal(raw, before)


def test_several_failing_rules_are_all_in_the_report_and_the_message(
    make_bars: Callable[..., pd.DataFrame],
) -> None:
    raw = _set("close", np.nan)(make_bars())
    raw.loc[raw.index[7], "volume"] = -1.0
    with pytest.raises(QualityRejected) as caught:
        check_bars(raw, SYMBOL, TF, NOW)
    assert str(caught.value).startswith(f"{SYMBOL} {TF} row {ROW4.isoformat()}: non_finite: close")
    counts = caught.value.report.counts()
    assert counts == {"non_finite": 1, "negative_volume": 1, "gaps": 1}
    assert "also failing: negative_volume (1 rows)" in str(caught.value)


def test_gaps_are_reported_with_counts_and_do_not_fail_by_default(
    make_bars: Callable[..., pd.DataFrame],
) -> None:
    raw = make_bars().drop(index=[START + timedelta(hours=h) for h in (3, 4, 7)])
    frame, report = check_bars(raw, SYMBOL, TF, NOW)
    assert len(frame) == 7
    assert report.passed
    assert report.missing_bars == 3
    assert [(g.start, g.end, g.missing_bars) for g in report.gaps] == [
        (START + timedelta(hours=3), START + timedelta(hours=5), 2),
        (START + timedelta(hours=7), START + timedelta(hours=8), 1),
    ]
    gaps = report.problem("gaps")
    assert gaps is not None
    assert (gaps.action, gaps.count) == ("reported", 2)


def test_gaps_policy_reject_raises_naming_the_bar_after_the_gap(
    make_bars: Callable[..., pd.DataFrame],
) -> None:
    raw = make_bars().drop(index=[START + timedelta(hours=3)])
    with pytest.raises(QualityRejected, match=r"row 2024-01-01T04:00:00\+00:00: gaps: 1 missing"):
        check_bars(raw, SYMBOL, TF, NOW, QualityPolicy(gaps="reject"))


def test_zero_volume_bars_are_counted_and_reject_only_when_asked(
    make_bars: Callable[..., pd.DataFrame],
) -> None:
    raw = make_bars()
    raw.loc[raw.index[[1, 8]], "volume"] = 0.0
    _, report = check_bars(raw, SYMBOL, TF, NOW)
    assert report.zero_volume == 2
    assert report.problem("zero_volume").action == "reported"  # type: ignore[union-attr]
    with pytest.raises(QualityRejected, match="zero_volume: 2 bar"):
        check_bars(raw, SYMBOL, TF, NOW, QualityPolicy(zero_volume="reject"))


def test_stale_data_is_rejected_once_older_than_the_limit(
    make_bars: Callable[..., pd.DataFrame],
) -> None:
    raw = make_bars()  # last close at NOW
    _, fresh = check_bars(raw, SYMBOL, TF, NOW + timedelta(hours=3))
    assert not fresh.stale
    with pytest.raises(QualityRejected, match=r"row 2024-01-01T09:00:00\+00:00: stale: last bar"):
        check_bars(raw, SYMBOL, TF, NOW + timedelta(hours=3, seconds=1))
    _, reported = check_bars(
        raw, SYMBOL, TF, NOW + timedelta(hours=5), QualityPolicy(stale="report")
    )
    assert reported.stale
    assert reported.problem("stale").action == "reported"  # type: ignore[union-attr]


def test_stale_is_measured_at_the_end_of_a_historical_window(
    make_bars: Callable[..., pd.DataFrame],
) -> None:
    _, report = check_bars(make_bars(), SYMBOL, TF, NOW + timedelta(days=400), until=NOW)
    assert not report.stale


def test_an_empty_answer_for_a_long_window_is_stale() -> None:
    with pytest.raises(QualityRejected, match=r"row none \(no bars\): stale: no bars since"):
        check_bars(empty_raw_frame(), SYMBOL, TF, NOW, since=START, until=NOW)


def test_clock_skew_of_251_ms_is_rejected_and_249_ms_is_accepted(
    make_bars: Callable[..., pd.DataFrame],
) -> None:
    raw = make_bars()
    last_open = START + timedelta(hours=9)
    with pytest.raises(QualityRejected, match=r"row 2024-01-01T09:00:00\+00:00: clock_skew"):
        check_bars(raw, SYMBOL, TF, last_open - timedelta(milliseconds=251))
    frame, report = check_bars(raw, SYMBOL, TF, last_open - timedelta(milliseconds=249))
    assert frame.df.index[-1] == pd.Timestamp(START + timedelta(hours=7))
    assert report.unclosed_dropped == 2  # the 08:00 bar and the barely-future 09:00 bar
    assert report.problem("clock_skew") is None


def test_clock_skew_allowance_is_configurable(make_bars: Callable[..., pd.DataFrame]) -> None:
    now = START + timedelta(hours=9) - timedelta(milliseconds=100)
    with pytest.raises(QualityRejected, match="clock_skew"):
        check_bars(make_bars(), SYMBOL, TF, now, QualityPolicy(max_future_skew_ms=50))


def test_clock_skew_is_rejected_even_under_repair_policy(
    make_bars: Callable[..., pd.DataFrame],
) -> None:
    with pytest.raises(QualityRejected, match="clock_skew"):
        check_bars(make_bars(), SYMBOL, TF, START + timedelta(hours=2), QualityPolicy.repair_all())


def test_an_unclosed_last_bar_is_dropped_without_a_problem(
    make_bars: Callable[..., pd.DataFrame],
) -> None:
    frame, report = check_bars(make_bars(), SYMBOL, TF, NOW - timedelta(minutes=30))
    assert len(frame) == 9
    assert frame.df.index[-1] == pd.Timestamp(START + timedelta(hours=8))
    assert report.unclosed_dropped == 1
    assert report.problems == ()


def test_message_quotes_the_file_and_line_when_the_source_row_is_known(
    make_bars: Callable[..., pd.DataFrame],
) -> None:
    raw = _set("volume", -1.0)(make_bars())
    raw[SOURCE_ROW] = np.arange(2, 12)
    raw.attrs.update(source="bars.csv", row_kind="line")
    with pytest.raises(QualityRejected) as caught:
        check_bars(raw, SYMBOL, TF, NOW)
    assert "row 2024-01-01T04:00:00+00:00 (bars.csv line 6): negative_volume" in str(caught.value)
    assert caught.value.report.problem("negative_volume").first_row == 6  # type: ignore[union-attr]


def test_missing_columns_and_naive_index_are_refused(
    make_bars: Callable[..., pd.DataFrame],
) -> None:
    with pytest.raises(DataQualityError, match=r"header: missing columns \['volume'\]"):
        check_bars(make_bars().drop(columns="volume"), SYMBOL, TF, NOW)
    naive = make_bars()
    naive.index = naive.index.tz_localize(None)
    with pytest.raises(DataQualityError, match="timezone-aware"):
        check_bars(naive, SYMBOL, TF, NOW)


def test_a_non_utc_index_is_converted_not_refused(make_bars: Callable[..., pd.DataFrame]) -> None:
    raw = make_bars()
    raw.index = raw.index.tz_convert("Europe/Berlin")
    frame, _ = check_bars(raw, SYMBOL, TF, NOW)
    assert str(frame.df.index.tz) == "UTC"
    assert frame.df.index[0] == pd.Timestamp(START)


def test_invalid_symbol_is_refused(make_bars: Callable[..., pd.DataFrame]) -> None:
    with pytest.raises(ValidationFailed, match="symbol"):
        check_bars(make_bars(), "btc-usdt", TF, NOW)


def test_policy_is_strict_and_frozen() -> None:
    with pytest.raises(ValidationError):
        QualityPolicy(gaps="repair")
    with pytest.raises(ValidationError):
        QualityPolicy(unknown="reject")  # type: ignore[call-arg]
    policy = QualityPolicy.repair_all(stale="report")
    assert (policy.ohlc, policy.stale, policy.gaps) == ("repair", "report", "report")
    with pytest.raises(ValidationError):
        policy.ohlc = "reject"  # type: ignore[misc]


def test_exchange_time_more_than_250_ms_ahead_is_refused() -> None:
    now = START
    guard_exchange_time("binance", now + timedelta(milliseconds=249), now)
    with pytest.raises(DataQualityError, match=r"binance exchange time .*: clock_skew: 251 ms"):
        guard_exchange_time("binance", now + timedelta(milliseconds=251), now)
