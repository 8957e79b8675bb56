"""Walk-forward without leakage: a fold's test part runs on exactly its train part's fit.

The analysis pipeline (offline analyst) on seeded synthetic hourly bars, one fold: train
on days 0–2 (learning on: calibration and adaptive weights refitted from its closed
trades), test on day 2–3 with learning frozen. Three markets over the same seed:

* ``base``  — the bars as generated;
* ``after`` — every bar from the train window's end on mirrored around the last train
  close (``p → c² / p``): a different future, an identical past;
* ``inside`` — the same mirror from the middle of the train window.

If anything of the test part (or later) reached the fit, ``after`` would fit differently;
``inside`` shows the fit does follow the train bars (so the comparison can fail).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from apps.cli.commands.backtest import backtest_runtime
from quorum.backtest import BacktestSpec
from quorum.backtest.walkforward import (
    Learned,
    WalkForwardOutcome,
    learned_state,
    parse_plan,
    run_walk_forward,
    seed_state,
)
from quorum.clock import ReplayClock
from quorum.domain import Timeframe
from quorum.market import MarketDataLoader, QualityPolicy
from quorum.market.synthetic import SyntheticSource
from quorum.scoring import Calibrator, LearnedAccuracy
from quorum.store.tables.journal import JOURNAL_TABLE_NAME
from quorum.store.tables.pipeline import SCORING_TABLE, SIGNALS_TABLE

TABLES = SQLModel.metadata.tables

START = datetime(2025, 1, 1, tzinfo=UTC)
TRAIN_END = START + timedelta(days=2)
END = START + timedelta(days=3)
H1 = Timeframe.H1


class MirrorFrom:
    """Synthetic bars; from ``cut`` on, prices mirrored around the close before ``cut``."""

    def __init__(self, cut: datetime | None) -> None:
        self.inner = SyntheticSource(7, base_timeframe=H1)
        self.cut = cut

    def fetch_raw(
        self, symbol: str, timeframe: Timeframe, since: datetime, until: datetime
    ) -> pd.DataFrame:
        raw = self.inner.fetch_raw(symbol, timeframe, since, until)
        if self.cut is None:
            return raw
        before = self.inner.fetch_raw(symbol, timeframe, self.cut - timeframe.delta, self.cut)
        square = float(before["close"].iloc[-1]) ** 2
        late = raw.index >= self.cut
        out = raw.copy()
        flipped = {"open": "open", "close": "close", "high": "low", "low": "high"}
        for column, source in flipped.items():
            out.loc[late, column] = square / raw.loc[late, source]
        return out


@dataclass(frozen=True)
class Run:
    outcome: WalkForwardOutcome
    root: Path

    def engine(self, part: str) -> Engine:
        return create_engine(f"sqlite:///{self.root / f'{part}.sqlite'}")


def _walk_forward(root: Path, cut: datetime | None) -> Run:
    @contextmanager
    def services_for(name: str) -> Iterator[Any]:
        runtime = backtest_runtime(root / f"{name}.sqlite")
        try:
            yield runtime
        finally:
            runtime.close()

    spec = BacktestSpec(
        symbols=("BTC/USDT",),
        timeframes=("1h",),
        base="1h",
        start=START,
        end=END,
        llm="offline",
        strategy="agents",
        refresh_every=24,
    )
    market = MarketDataLoader(MirrorFrom(cut), ReplayClock(END), QualityPolicy(stale="report"))
    outcome = run_walk_forward(spec, parse_plan("2d:1d"), services_for, market=market)
    return Run(outcome, root)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    cuts = {"base": None, "after": TRAIN_END, "inside": START + timedelta(days=1)}
    return {name: _walk_forward(tmp_path_factory.mktemp(name), cut) for name, cut in cuts.items()}


def _fold(run: Run) -> Any:
    assert run.outcome.result.walk_forward is not None
    (fold,) = run.outcome.result.walk_forward.folds
    return fold


def _signals(run: Run) -> list[tuple[str, float, float]]:
    table = TABLES[SIGNALS_TABLE]
    with run.engine("f1-test").connect() as conn:
        rows = conn.execute(
            select(table.c.as_of, table.c.score, table.c.probability).order_by(table.c.as_of)
        ).all()
    return [(r[0], r[1], r[2]) for r in rows if r[2] is not None]


def test_one_fold_trains_on_the_first_two_days_and_tests_on_the_third(
    runs: dict[str, Run],
) -> None:
    fold = _fold(runs["base"])
    assert (fold.train_start, fold.train_end) == (START, TRAIN_END)
    assert (fold.test_start, fold.test_end) == (TRAIN_END, END)
    assert fold.train_trades >= 5, "the train part must trade enough to fit a calibration"
    assert fold.fitted.calibration_method == "isotonic"


def test_changing_bars_after_the_train_window_leaves_the_fit_unchanged(
    runs: dict[str, Run],
) -> None:
    base, after = runs["base"], runs["after"]
    assert _fold(after).fitted == _fold(base).fitted
    assert learned_state(after.engine("f1-test")) == learned_state(base.engine("f1-test"))
    assert _signals(after) != _signals(base), "the test part must have seen the changed bars"
    assert after.outcome.result_hash != base.outcome.result_hash


def test_changing_bars_inside_the_train_window_changes_the_fit(runs: dict[str, Run]) -> None:
    assert _fold(runs["inside"]).fitted.digest != _fold(runs["base"]).fitted.digest


def test_test_part_holds_exactly_the_train_fit_seeded_once_and_never_refitted(
    runs: dict[str, Run],
) -> None:
    run = runs["base"]
    fitted = learned_state(run.engine("f1-train"))
    assert fitted.digest() == _fold(run).fitted.digest
    test_db = run.engine("f1-test")
    assert learned_state(test_db) == fitted
    scoring, journal = TABLES[SCORING_TABLE], TABLES[JOURNAL_TABLE_NAME]
    with test_db.connect() as conn:
        versions = conn.execute(select(scoring.c.name, scoring.c.version)).all()
        entries = conn.execute(select(journal.c.payload).where(journal.c.kind == "score")).all()
    assert sorted(versions) == [("accuracy", 1), ("calibration", 1), ("weights", 1)]
    events = [json.loads(e[0]).get("event") for e in entries]
    assert [e for e in events if e is not None] == ["scoring_seeded"]


def test_every_test_signal_is_calibrated_by_the_train_fit(runs: dict[str, Run]) -> None:
    run = runs["base"]
    payload = learned_state(run.engine("f1-train")).calibration
    calibrator = Calibrator.model_validate(payload)
    signals = _signals(run)
    assert signals, "the test part must produce signals for the check to mean something"
    assert calibrator.probability(0.3) != Calibrator.prior_only().probability(0.3)
    for as_of, score, probability in signals:
        assert probability == pytest.approx(calibrator.probability(abs(score)), abs=1e-12), as_of


def test_a_test_part_is_seeded_with_the_train_parts_model_accuracy(tmp_path: Path) -> None:
    """The learned model accuracy goes with calibration and weights into a test part: its
    scoring state (the confluence weights) and its ``llm_model_scores`` (the router)."""
    accuracy = {
        k: LearnedAccuracy(model="m", role=r, samples=30, hits=20, accuracy=0.6, brier=0.2)
        for k, r in (("m", None), ("m#bull", "bull"))
    }
    state = Learned(None, None, {k: v.model_dump(mode="json") for k, v in accuracy.items()})
    runtime = backtest_runtime(tmp_path / "test-part.sqlite")
    try:
        at = datetime(2025, 1, 3, tzinfo=UTC)
        seed_state(runtime, state, run_id="f1-test", source_run_id="f1-train", at=at)
        assert learned_state(runtime.engine) == state
        assert state.summary().model_accuracy == {"m": 0.6, "m#bull": 0.6}
        with runtime.engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT model, accuracy FROM llm_model_scores")).all())
        assert rows == {"m": 0.6, "m#bull": 0.6}
    finally:
        runtime.close()
