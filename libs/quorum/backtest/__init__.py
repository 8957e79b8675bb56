"""Backtests: the real pipeline replayed over recorded bars (see docs/ARCHITECTURE.md).

``run_backtest(BacktestSpec(...), services)`` replays the window and returns a
:class:`BacktestOutcome` whose ``result`` (a :class:`BacktestResult`) feeds
``quorum.backtest.report.write_report``. ``run_walk_forward(spec, parse_plan("30d:7d"),
services_for)`` runs rolling train / test folds (see :mod:`quorum.backtest.walkforward`).
"""

from quorum.backtest.engine import BacktestOutcome, leakage, load_frames, result_hash, run_backtest
from quorum.backtest.gate import Gate, GateLimits, judge, load_gate
from quorum.backtest.records import get_run, list_runs
from quorum.backtest.results import BacktestResult
from quorum.backtest.spec import BacktestSpec
from quorum.backtest.walkforward import (
    WalkForwardOutcome,
    WindowPlan,
    make_folds,
    parse_plan,
    run_walk_forward,
    walk_forward_hash,
)

__all__ = [
    "BacktestOutcome",
    "BacktestResult",
    "BacktestSpec",
    "Gate",
    "GateLimits",
    "WalkForwardOutcome",
    "WindowPlan",
    "get_run",
    "judge",
    "leakage",
    "list_runs",
    "load_frames",
    "load_gate",
    "make_folds",
    "parse_plan",
    "result_hash",
    "run_backtest",
    "run_walk_forward",
    "walk_forward_hash",
]
