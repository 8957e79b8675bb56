"""Walk-forward: rolling train / test windows, learning fitted on the train part only.

Folds roll over ``[start, end)``: fold k trains on ``[start + (k-1)·step, … + train)`` and
tests on the ``test`` that follows (``step`` defaults to ``test``; a tail shorter than one
fold is left out). For every fold:

1. the train part is an ordinary :func:`~quorum.backtest.engine.run_backtest` with
   learning on (``refresh``: calibration and adaptive weights refitted from the run's
   closed trades, last at the window's end) on a database of its own;
2. the scoring state it left (the ``calibration``, ``weights`` and model ``accuracy`` rows
   the ``refresh`` task persisted) is read and copied, journaled, into a second fresh
   database (the accuracy also into its ``llm_model_scores``, for the router);
3. the test part runs there with learning frozen (``refresh`` off), so every analysis in
   it reads exactly the train part's state; afterwards the state is read again and must
   be unchanged.

Nothing of a test part, or of a later fold, reaches a fit. The test parts form one
out-of-sample account: fold k's test starts with the equity fold k-1's test ended with
(positions are flattened at every test window's end), and their trades, signals, prices
and equity points are stitched into one :class:`BacktestResult` whose ``walk_forward``
holds the per-fold numbers. Same spec, plan and data ⇒ same result hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from quorum.backtest.engine import BacktestOutcome, run_backtest
from quorum.backtest.folds import (
    MAX_FOLDS,
    Fold,
    WindowPlan,
    label,
    make_folds,
    parse_duration,
    parse_plan,
)
from quorum.backtest.report.metrics import compute_metrics
from quorum.backtest.results import (
    BacktestResult,
    DataQuality,
    FittedState,
    FoldMetrics,
    LlmStats,
    PriceSeries,
    WalkForward,
    WalkForwardFold,
)
from quorum.backtest.services import Services
from quorum.backtest.spec import BacktestSpec
from quorum.clock import ReplayClock
from quorum.domain import JournalKind, Timeframe
from quorum.errors import ConfigError, JournalIntegrityError
from quorum.pipeline.learned import CALIBRATION, WEIGHTS
from quorum.pipeline.opinions import ACCURACY, publish_accuracy
from quorum.pipeline.persistence import load_scoring, save_scoring
from quorum.scoring import Calibrator, EvidenceWeights, LearnedAccuracy
from quorum.store import session_scope

__all__ = [
    "MAX_FOLDS",
    "Fold",
    "Learned",
    "ServicesFor",
    "WalkForwardOutcome",
    "WindowPlan",
    "learned_state",
    "make_folds",
    "parse_duration",
    "parse_plan",
    "run_walk_forward",
    "seed_state",
    "walk_forward_hash",
]

ServicesFor = Callable[[str], AbstractContextManager[Services]]
"""``services_for(name)`` → a context manager giving fresh services (a runtime on a new
database) for the run named ``name`` (``f1-train``, ``f1-test`` …), closed on exit."""


@dataclass(frozen=True, slots=True)
class Learned:
    """The persisted scoring state (the ``refresh`` task's payloads; None: never fitted)."""

    calibration: dict[str, Any] | None
    weights: dict[str, Any] | None
    accuracy: dict[str, Any] | None = None

    def digest(self) -> str:
        data = {"calibration": self.calibration, "weights": self.weights}
        if self.accuracy:
            data["accuracy"] = self.accuracy
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def summary(self) -> FittedState:
        calibrator = (
            Calibrator.model_validate(self.calibration)
            if self.calibration
            else Calibrator.prior_only()
        )
        weights = EvidenceWeights.model_validate(self.weights or {})
        return FittedState(
            digest=self.digest(),
            calibration_method=calibrator.method,
            calibration_samples=calibrator.samples,
            family_weights=dict(sorted(weights.families.items())),
            analyst_weights=dict(sorted(weights.analysts.items())),
            model_accuracy={k: v.accuracy for k, v in sorted(self.accuracies().items())},
        )

    def accuracies(self) -> dict[str, LearnedAccuracy]:
        return {k: LearnedAccuracy.model_validate(v) for k, v in (self.accuracy or {}).items()}


def learned_state(engine: Engine) -> Learned:
    with engine.connect() as conn:
        return Learned(
            load_scoring(conn, CALIBRATION)[0],
            load_scoring(conn, WEIGHTS)[0],
            load_scoring(conn, ACCURACY)[0],
        )


def seed_state(
    services: Services, state: Learned, *, run_id: str, source_run_id: str, at: datetime
) -> None:
    """Store ``state`` as the database's scoring state (journaled first, one transaction).
    Refused on a database that already holds a scoring state: each test part gets a fresh one."""
    with session_scope(services.engine) as session:
        for name in (CALIBRATION, WEIGHTS, ACCURACY):
            if load_scoring(session, name)[0] is not None:
                raise ConfigError(
                    f"walk-forward {run_id}: the database already holds a learned {name!r} "
                    "state; expected a fresh database for every test part"
                )
        payload = {"event": "scoring_seeded", "from_run": source_run_id, "digest": state.digest()}
        services.journal.append(
            session, JournalKind.SCORE, payload, actor="backtest", run_id=run_id
        )
        states = (
            (CALIBRATION, state.calibration),
            (WEIGHTS, state.weights),
            (ACCURACY, state.accuracy),
        )
        for name, value in states:
            if value is not None and not save_scoring(session, name, value, 0, at):
                raise ConfigError(f"walk-forward {run_id}: could not seed scoring {name!r}")
    publish_accuracy(services.engine, ReplayClock(at), state.accuracies())


@dataclass
class WalkForwardOutcome:
    result: BacktestResult
    """The stitched out-of-sample result; ``result.walk_forward`` holds the folds."""
    result_hash: str
    runs: list[tuple[BacktestOutcome, BacktestOutcome]]
    """Per fold: the train part's and the test part's outcome."""


def walk_forward_hash(result: BacktestResult) -> str:
    """SHA-256 of the result without run ids and git sha: equal for equal inputs."""
    exclude: Any = {"run_id": True, "git_sha": True}
    if result.walk_forward is not None:
        folds = {"__all__": {"train_run_id", "test_run_id"}}
        exclude["walk_forward"] = {"folds": folds}
    data = result.model_dump(mode="json", exclude=exclude)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan_hash(spec: BacktestSpec, plan: WindowPlan) -> str:
    text = json.dumps({"spec": spec.config_hash(), "walk_forward": plan.text}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_walk_forward(
    spec: BacktestSpec,
    plan: WindowPlan,
    services_for: ServicesFor,
    *,
    run_id: str | None = None,
    market: Any = None,
    on_step: Callable[[int], None] | None = None,
) -> WalkForwardOutcome:
    """Run every fold of ``plan`` over ``spec``'s window (see module doc).

    ``services_for`` gives fresh services per part; ``market`` (a ``MarketData``) replaces
    ``spec.data`` for every part; ``on_step(done)`` counts base bars over all parts.
    """
    folds = make_folds(spec.start, spec.end, plan, spec.base_timeframe)
    digest = plan_hash(spec, plan)
    run_id = run_id or f"wf-{digest[:12]}"
    parts = 1 if spec.capital_mode == "portfolio" else len(spec.symbols)
    done = 0

    def progress(offset: int) -> Callable[[int], None]:
        def step(n: int) -> None:
            if on_step is not None:
                on_step(offset + n)

        return step

    runs: list[tuple[BacktestOutcome, BacktestOutcome]] = []
    summaries: list[WalkForwardFold] = []
    capital = spec.capital
    for fold in folds:
        tag = f"{run_id}.f{fold.index}"
        train_spec = spec.window(fold.train_start, fold.train_end, refresh=True)
        test_spec = spec.window(fold.test_start, fold.test_end, refresh=False, capital=capital)
        mode = f"walk-forward fold {fold.index}/{len(folds)}"
        with services_for(f"f{fold.index}-train") as services:
            train = run_backtest(
                train_spec,
                services,
                run_id=f"{tag}.train",
                mode=f"{mode} train",
                market=market,
                on_step=progress(done),
            )
            fitted = learned_state(services.engine)
        done += train_spec.steps * parts
        with services_for(f"f{fold.index}-test") as services:
            seed_state(
                services,
                fitted,
                run_id=f"{tag}.test",
                source_run_id=f"{tag}.train",
                at=fold.test_start,
            )
            test = run_backtest(
                test_spec,
                services,
                run_id=f"{tag}.test",
                mode=f"{mode} test",
                market=market,
                on_step=progress(done),
            )
            used = learned_state(services.engine)
        done += test_spec.steps * parts
        if used != fitted:
            raise JournalIntegrityError(
                f"walk-forward fold {fold.index}: the test part's scoring state changed "
                f"({fitted.digest()[:12]} → {used.digest()[:12]}); expected it frozen"
            )
        runs.append((train, test))
        summaries.append(_fold(fold, train, test, fitted))
        final = summaries[-1].final_equity
        if final <= 0:
            raise ConfigError(
                f"walk-forward fold {fold.index}: out-of-sample equity {final} is exhausted; "
                "expected a positive balance to carry into the next fold"
            )
        capital = final / parts
    walk = WalkForward(train=plan.train, test=plan.test, step=plan.step, folds=tuple(summaries))
    result = _stitch(spec, run_id, digest, walk, runs)
    return WalkForwardOutcome(result, walk_forward_hash(result), runs)


def _fold(
    fold: Fold, train: BacktestOutcome, test: BacktestOutcome, fitted: Learned
) -> WalkForwardFold:
    m = compute_metrics(test.result)
    return WalkForwardFold(
        index=fold.index,
        train_start=fold.train_start,
        train_end=fold.train_end,
        test_start=fold.test_start,
        test_end=fold.test_end,
        train_run_id=train.result.run_id,
        test_run_id=test.result.run_id,
        train_trades=len(train.result.trades),
        fitted=fitted.summary(),
        initial_capital=test.result.initial_capital,
        final_equity=m.returns.final,
        test=FoldMetrics(
            trades=m.trades.closed,
            total_return=m.returns.total_return,
            sharpe=m.returns.sharpe,
            max_drawdown=m.drawdown.max_money,
            max_drawdown_pct=m.drawdown.max_fraction * 100,
            brier=m.calibration.brier,
            signals=m.calibration.count,
        ),
    )


def _stitch(
    spec: BacktestSpec,
    run_id: str,
    digest: str,
    walk: WalkForward,
    runs: list[tuple[BacktestOutcome, BacktestOutcome]],
) -> BacktestResult:
    """One out-of-sample result from the test parts (LLM use counted over every part)."""
    tests = [test.result for _, test in runs]
    first = runs[0][0].result
    series: dict[tuple[str, Timeframe], tuple[list[Any], list[Decimal]]] = {}
    for r in tests:
        for p in r.prices:
            times, closes = series.setdefault((p.symbol, p.timeframe), ([], []))
            times += p.times
            closes += p.closes
    everything = [r.result for pair in runs for r in pair]
    calls = sum(r.llm.calls for r in everything)
    warnings = list(first.warnings)
    for r in tests:
        warnings += [w for w in r.warnings if w not in warnings]
    warnings.append(
        f"WALK-FORWARD {walk.folds[0].test_start.date()} → {walk.folds[-1].test_end.date()}: "
        f"{len(walk.folds)} folds (train {label(walk.train)}, test {label(walk.test)}, step "
        f"{label(walk.step)}); trades, returns and calibration are out-of-sample only."
    )
    if spec.rule is not None:
        warnings.append("WALK-FORWARD: a rule strategy does not use the fitted scoring state.")
    return BacktestResult(
        run_id=run_id,
        mode="walk-forward",
        llm_mode=first.llm_mode,
        capital_mode=spec.capital_mode,
        symbols=spec.symbols,
        timeframes=first.timeframes,
        start=walk.folds[0].test_start,
        end=walk.folds[-1].test_end,
        seed=spec.seed,
        config_hash=digest,
        git_sha=first.git_sha,
        quote_currency=first.quote_currency,
        initial_capital=tests[0].initial_capital,
        trades=tuple(
            sorted(
                (t for r in tests for t in r.trades),
                key=lambda t: (t.exit_time, t.symbol, t.entry_time),
            )
        ),
        open_positions_at_end=sum(r.open_positions_at_end for r in tests),
        equity_curve=tuple(p for r in tests for p in r.equity_curve),
        signals=tuple(
            sorted((s for r in tests for s in r.signals), key=lambda s: (s.time, s.symbol))
        ),
        leakage=first.leakage,
        llm=LlmStats(
            calls=calls,
            cache_hits=min(calls, sum(r.llm.cache_hits for r in everything)),
            spend_usd=sum((r.llm.spend_usd for r in everything), Decimal(0)),
            trades=sum(r.llm.trades for r in everything),
            trade_spend_usd=sum((r.llm.trade_spend_usd for r in everything), Decimal(0)),
        ),
        data_quality=DataQuality(
            bars_processed=sum(r.data_quality.bars_processed for r in tests),
            gaps=sum(r.data_quality.gaps for r in tests),
            zero_volume_bars=sum(r.data_quality.zero_volume_bars for r in tests),
        ),
        prices=tuple(
            PriceSeries(symbol=s, timeframe=tf, times=tuple(t), closes=tuple(c))
            for (s, tf), (t, c) in series.items()
        ),
        warnings=tuple(warnings),
        walk_forward=walk,
    )
