"""Walk-forward plans and folds: TRAIN:TEST[:STEP] parsing, fold boundaries, refusals."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from quorum.backtest.folds import (
    MAX_FOLDS,
    Fold,
    WindowPlan,
    label,
    make_folds,
    parse_duration,
    parse_plan,
)
from quorum.domain import Timeframe
from quorum.errors import ValidationFailed

D = timedelta(days=1)
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def day(n: int) -> datetime:
    return T0 + n * D


def test_plan_without_step_steps_by_the_test_length() -> None:
    assert parse_plan("30d:7d") == WindowPlan(30 * D, 7 * D, 7 * D)


def test_plan_with_step_and_mixed_units() -> None:
    plan = parse_plan("36h:90m:2w")
    assert plan == WindowPlan(timedelta(hours=36), timedelta(minutes=90), timedelta(weeks=2))
    assert plan.text == "36h:90m:2w"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("30d", "walk_forward"),
        ("30d:7d:7d:1d", "walk_forward"),
        ("30x:7d", "walk_forward.train"),
        ("0d:7d", "walk_forward.train"),
        ("30d:-7d", "walk_forward.test"),
        ("30d:7d:", "walk_forward.step"),
    ],
)
def test_malformed_plan_is_refused_naming_the_field(text: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        parse_plan(text)
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}: ")


def test_step_shorter_than_test_is_refused_because_test_windows_would_overlap() -> None:
    with pytest.raises(ValidationFailed, match=r"walk_forward.step: must be at least the test"):
        parse_plan("30d:7d:3d")


def test_duration_labels_use_the_largest_exact_unit() -> None:
    assert [label(parse_duration(t, "x")) for t in ("14d", "36h", "90m", "120m")] == [
        "2w",
        "36h",
        "90m",
        "2h",
    ]


def test_folds_roll_by_step_and_each_test_starts_where_its_train_ends() -> None:
    folds = make_folds(day(0), day(10), parse_plan("4d:2d"), Timeframe.D1)
    assert folds == [
        Fold(1, day(0), day(4), day(4), day(6)),
        Fold(2, day(2), day(6), day(6), day(8)),
        Fold(3, day(4), day(8), day(8), day(10)),
    ]
    assert all(a.test_end == b.test_start for a, b in itertools.pairwise(folds))


def test_a_tail_shorter_than_one_more_fold_is_left_out() -> None:
    folds = make_folds(day(0), day(11), parse_plan("4d:2d"), Timeframe.D1)
    assert len(folds) == 3
    assert folds[-1].test_end == day(10)


def test_step_longer_than_test_leaves_gaps_between_test_windows() -> None:
    folds = make_folds(day(0), day(10), parse_plan("4d:1d:3d"), Timeframe.D1)
    assert [(f.test_start, f.test_end) for f in folds] == [(day(4), day(5)), (day(7), day(8))]


def test_a_window_of_exactly_train_plus_test_gives_one_fold() -> None:
    assert make_folds(day(0), day(3), parse_plan("2d:1d"), Timeframe.H1) == [
        Fold(1, day(0), day(2), day(2), day(3))
    ]


def test_test_longer_than_the_window_is_refused_naming_test() -> None:
    with pytest.raises(ValidationFailed) as err:
        make_folds(day(0), day(10), parse_plan("2d:12d"), Timeframe.D1)
    assert err.value.field == "walk_forward.test"
    assert "longer than the window [start, end) of 10d" in str(err.value)


def test_train_plus_test_longer_than_the_window_is_refused_naming_train() -> None:
    with pytest.raises(ValidationFailed) as err:
        make_folds(day(0), day(10), parse_plan("9d:2d"), Timeframe.D1)
    assert err.value.field == "walk_forward.train"
    assert "train 9d + test 2d does not fit" in str(err.value)


def test_lengths_off_the_base_bar_grid_are_refused() -> None:
    with pytest.raises(ValidationFailed, match=r"walk_forward.train: must be a positive whole"):
        make_folds(day(0), day(10), parse_plan("36h:1d"), Timeframe.D1)


def test_too_many_folds_are_refused() -> None:
    with pytest.raises(ValidationFailed, match=rf"at most {MAX_FOLDS}"):
        make_folds(day(0), day(365), parse_plan("1h:1h"), Timeframe.H1)
