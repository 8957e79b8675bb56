"""The walk-forward section of the report: per-fold table in JSON and HTML, deterministic."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from tests.unit.backtest.report.report_kit import curve, day, result, trade

from quorum.backtest.report import build_report, render_report
from quorum.backtest.results import (
    BacktestResult,
    FittedState,
    FoldMetrics,
    WalkForward,
    WalkForwardFold,
)
from quorum.backtest.walkforward import walk_forward_hash

DIGESTS = ("a" * 64, "b" * 64)


def fold(index: int, total_return: float, **changes: Any) -> WalkForwardFold:
    fields: dict[str, Any] = {
        "index": index,
        "train_start": day(2 * index - 2),
        "train_end": day(2 * index + 2),
        "test_start": day(2 * index + 2),
        "test_end": day(2 * index + 4),
        "train_run_id": f"wf-x.f{index}.train",
        "test_run_id": f"wf-x.f{index}.test",
        "train_trades": 6 + index,
        "fitted": FittedState(
            digest=DIGESTS[index - 1],
            calibration_method="isotonic",
            calibration_samples=6 + index,
            family_weights={"breakout": 0.5},
            analyst_weights={"technical": 1.25},
        ),
        "initial_capital": Decimal(1000),
        "final_equity": Decimal(1000) * Decimal(str(1 + total_return)),
        "test": FoldMetrics(
            trades=index,
            total_return=total_return,
            sharpe=1.5 * index,
            max_drawdown=Decimal("12.5"),
            max_drawdown_pct=1.25,
            brier=0.2,
            signals=index,
        ),
    }
    fields.update(changes)
    return WalkForwardFold(**fields)


def walk(*folds: WalkForwardFold) -> WalkForward:
    two = day(2) - day(0)
    return WalkForward(train=2 * two, test=two, step=two, folds=folds)


def wf_result(**changes: Any) -> BacktestResult:
    fields: dict[str, Any] = {
        "run_id": "wf-x",
        "mode": "walk-forward",
        "start": day(4),
        "end": day(8),
        "trades": (trade("10", entry=4, exit_=5), trade("-5", entry=6, exit_=7)),
        "equity_curve": curve([1000, 1010, 1010, 1005], step_days=1),
        "walk_forward": walk(fold(1, 0.01), fold(2, -0.005)),
    }
    fields.update(changes)
    return result(**fields)


def test_report_has_a_walk_forward_section_with_one_row_per_fold() -> None:
    section = build_report(wf_result())["walk_forward"]
    assert section["train_seconds"] == 4 * 86400
    assert section["test_seconds"] == section["step_seconds"] == 2 * 86400
    rows = section["folds"]
    assert [r["fold"] for r in rows] == [1, 2]
    first = rows[0]
    assert first["train_start"] == "2024-01-01T00:00:00Z"
    assert first["test_start"] == first["train_end"] == "2024-01-05T00:00:00Z"
    assert first["fitted"]["digest"] == DIGESTS[0]
    assert first["fitted"]["analyst_weights"] == {"technical": 1.25}
    assert (first["trades"], first["total_return"], first["sharpe"]) == (1, 0.01, 1.5)
    assert (first["max_drawdown"], first["max_drawdown_pct"]) == ("12.50000000", 1.25)
    assert first["brier"] == 0.2
    assert section["summary"] == {
        "folds": 2,
        "out_of_sample_trades": 3,
        "profitable_folds": 1,
        "mean_fold_return": 0.0025,
        "worst_fold_return": -0.005,
    }


def test_html_shows_the_per_fold_table() -> None:
    _, html, _ = render_report(wf_result())
    page = html.decode()
    assert 'id="walk-forward"' in page
    assert page.count("<code>aaaaaaaaaaaa</code>") == 1
    assert page.count("<code>bbbbbbbbbbbb</code>") == 1
    assert "1 of 2 folds were profitable" in page


def test_plain_backtest_report_has_no_walk_forward_section() -> None:
    data, html, _ = render_report(result())
    assert b"walk_forward" not in data
    assert b"walk-forward" not in html


def test_same_walk_forward_result_gives_identical_bytes() -> None:
    assert render_report(wf_result()) == render_report(wf_result())


def test_report_hash_changes_with_a_fold_number() -> None:
    other = wf_result(walk_forward=walk(fold(1, 0.02), fold(2, -0.005)))
    assert render_report(other)[2] != render_report(wf_result())[2]


def test_result_hash_ignores_run_ids_but_not_the_fitted_state() -> None:
    renamed = wf_result(
        run_id="wf-y",
        walk_forward=walk(fold(1, 0.01, train_run_id="a", test_run_id="b"), fold(2, -0.005)),
    )
    assert walk_forward_hash(renamed) == walk_forward_hash(wf_result())
    refit = fold(1, 0.01, fitted=fold(2, 0.0).fitted)
    assert walk_forward_hash(wf_result(walk_forward=walk(refit, fold(2, -0.005)))) != (
        walk_forward_hash(wf_result())
    )


def test_overlapping_test_windows_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"folds\[1\]\.test_start: .* overlaps"):
        walk(fold(1, 0.0), fold(2, 0.0, test_start=day(5), train_end=day(5)))


def test_misnumbered_folds_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"folds\[0\]\.index: expected 1, got 2"):
        walk(fold(2, 0.0))


def test_fold_whose_test_starts_before_its_train_ends_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"fold 1: expected train_start < train_end"):
        fold(1, 0.0, train_end=day(5))
