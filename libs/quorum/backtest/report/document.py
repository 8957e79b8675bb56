"""The report as one JSON document, and its canonical bytes.

Money is written as a decimal string (averages rounded to 8 places, half-even),
ratios as floats rounded to 10 significant digits, durations as seconds, times as
ISO-8601 UTC. ``risk.max_drawdown`` (money, with its peak / trough times) and
``risk.max_drawdown_pct`` (deepest fall relative to its peak) are each the worst of
their kind and may come from different drawdowns. The bytes are canonical (sorted
keys, fixed indent, no NaN), so the same result always gives the same bytes and the
same SHA-256. A walk-forward's stitched result adds a ``walk_forward`` section (the
per-fold table); every other document is unchanged by it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

from quorum.backtest.report.attribution import HitRate
from quorum.backtest.report.drawdown import Drawdown
from quorum.backtest.report.metrics import Metrics, ReturnStats, compute_metrics
from quorum.backtest.report.models import ModelRow
from quorum.backtest.results import BacktestResult, WalkForward

__all__ = ["REPORT_FORMAT", "build_report", "canonical_json", "content_hash", "leakage_warning"]

REPORT_FORMAT = "quorum.backtest.report/1"
_PLACES = Decimal("0.00000001")

JSON = dict[str, Any]


def _money(value: Decimal | None) -> str | None:
    if value is None:
        return None
    with localcontext(prec=40, rounding=ROUND_HALF_EVEN):
        return format(value.quantize(_PLACES), "f")


def _ratio(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.10g}")


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def leakage_warning(result: BacktestResult) -> str | None:
    """One sentence naming every model whose training may overlap the window."""
    flagged = result.contaminated_models
    if not flagged:
        return None
    names = ", ".join(
        f"{f.model} (training cutoff {_time(f.training_cutoff)}, "
        f"window starts {_time(f.window_start)})"
        for f in flagged
    )
    return (
        f"LOOK-AHEAD LEAKAGE: {len(flagged)} model(s) may have seen this period in training: "
        f"{names}. Results that depend on these models are not evidence of skill."
    )


_RETURN_KEYS = ("initial_equity", "final_equity", "total_return", "cagr", "sharpe", "sortino",
                "mar", "periods_per_year", "years")  # fmt: skip
_RISK_KEYS = ("max_drawdown", "max_drawdown_pct", "max_drawdown_peak", "max_drawdown_trough",
              "longest_drawdown_seconds", "longest_drawdown_start", "longest_drawdown_end",
              "longest_drawdown_recovered")  # fmt: skip


def _returns(stats: ReturnStats | None) -> JSON:
    """Return metrics; every key present (all None when there is nothing to measure)."""
    if stats is None:
        return dict.fromkeys(_RETURN_KEYS)
    return {
        "initial_equity": _money(stats.initial),
        "final_equity": _money(stats.final),
        "total_return": _ratio(stats.total_return),
        "cagr": _ratio(stats.cagr),
        "sharpe": _ratio(stats.sharpe),
        "sortino": _ratio(stats.sortino),
        "mar": _ratio(stats.mar),
        "periods_per_year": _ratio(stats.periods_per_year),
        "years": _ratio(stats.years),
    }


def _risk(dd: Drawdown | None) -> JSON:
    if dd is None:
        return dict.fromkeys(_RISK_KEYS)
    return {
        "max_drawdown": _money(dd.max_money),
        "max_drawdown_pct": _ratio(dd.max_fraction * 100),
        "max_drawdown_peak": _time(dd.peak_time),
        "max_drawdown_trough": _time(dd.trough_time),
        "longest_drawdown_seconds": _seconds(dd.longest),
        "longest_drawdown_start": _time(dd.longest_start),
        "longest_drawdown_end": _time(dd.longest_end),
        "longest_drawdown_recovered": dd.recovered,
    }


def _hits(rows: list[HitRate]) -> list[JSON]:
    return [
        {
            "label": r.label,
            "trades": r.trades,
            "wins": r.wins,
            "hit_rate": _ratio(r.hit_rate),
            "net_pnl": _money(r.net_pnl),
        }
        for r in rows
    ]


def _models(rows: list[ModelRow]) -> list[JSON]:
    return [
        {
            "label": r.label,
            "trades": r.trades,
            "opinions": r.opinions,
            "right": r.right,
            "hit_rate": _ratio(r.hit_rate),
            "brier": _ratio(r.brier),
            "calls": r.calls,
            "spend_usd": _money(r.spend_usd),
            "spend_per_trade_usd": _money(r.spend_per_trade_usd),
        }
        for r in rows
    ]


def _trades(m: Metrics) -> JSON:
    t = m.trades
    return {
        "opened": t.opened,
        "closed": t.closed,
        "wins": t.wins,
        "losses": t.losses,
        "breakeven": t.breakeven,
        "win_rate": _ratio(t.win_rate),
        "avg_win": _money(t.avg_win),
        "avg_loss": _money(t.avg_loss),
        "realized_rr": _ratio(t.realized_rr),
        "expectancy": _money(t.expectancy),
        "expectancy_r": _ratio(t.expectancy_r),
        "profit_factor": _ratio(t.profit_factor),
        "gross_profit": _money(t.gross_profit),
        "gross_loss": _money(t.gross_loss),
        "net_pnl": _money(t.net_pnl),
        "fees": _money(t.fees),
        "slippage": _money(t.slippage),
        "avg_holding_seconds": _seconds(t.avg_holding_time),
    }


def build_report(result: BacktestResult, metrics: Metrics | None = None) -> JSON:
    """The whole report as a JSON-ready dict (same result ⇒ equal dict)."""
    m = metrics or compute_metrics(result)
    run = result.model_dump(
        mode="json",
        include={
            "run_id", "mode", "llm_mode", "capital_mode", "symbols", "timeframes", "start",
            "end", "seed", "config_hash", "git_sha", "quote_currency", "initial_capital",
        },
    )  # fmt: skip
    warning = leakage_warning(result)
    risk = _risk(m.drawdown)
    risk["max_consecutive_losses"] = m.trades.max_consecutive_losses
    risk["max_consecutive_losses_cost"] = _money(m.trades.max_consecutive_losses_cost)
    cal = m.calibration
    document: JSON = {
        "format": REPORT_FORMAT,
        "schema_version": result.schema_version,
        "leakage": {
            "contaminated": warning is not None,
            "warning": warning,
            "models": [f.model_dump(mode="json") for f in result.leakage],
        },
        "warnings": list(result.warnings),
        "run": run,
        "trades": _trades(m),
        "returns": _returns(m.returns),
        "risk": risk,
        "hit_rates": {
            "patterns": _hits(m.by_pattern),
            "analysts": _hits(m.by_analyst),
            "models": _hits(m.by_model),
        },
        "calibration": {
            "signals": cal.count,
            "brier": _ratio(cal.brier),
            "expected_calibration_error": _ratio(cal.expected_calibration_error),
            "reliability": [r.model_dump(mode="json") for r in cal.rows],
        },
        "llm": {
            "calls": result.llm.calls,
            "cache_hits": result.llm.cache_hits,
            "cache_hit_rate": _ratio(m.cache_hit_rate),
            "spend_usd": _money(result.llm.spend_usd),
            "spend_per_trade_usd": _money(m.spend_per_trade),
            "by_model": _models(m.model_rows),
            "by_role": _models(m.role_rows),
        },
        "data_quality": result.data_quality.model_dump(mode="json"),
        "baseline": {
            "kind": "buy_and_hold_equal_weight_no_fees",
            "returns": _returns(m.baseline_returns),
            "risk": _risk(m.baseline_drawdown),
            "per_symbol_return": {sym: _ratio(r) for sym, r in m.baseline.per_symbol_return},
            "excess_total_return": _ratio(
                m.returns.total_return - m.baseline_returns.total_return
                if m.baseline_returns
                else None
            ),
        },
        "trade_list": [t.model_dump(mode="json") for t in result.trades],
    }
    if result.walk_forward is not None:
        document["walk_forward"] = _walk_forward(result.walk_forward)
    return document


def _walk_forward(walk: WalkForward) -> JSON:
    """The per-fold table (out-of-sample numbers of each test part) and its summary."""
    folds = []
    for f in walk.folds:
        t = f.test
        folds.append(
            {
                "fold": f.index,
                "train_start": _time(f.train_start),
                "train_end": _time(f.train_end),
                "test_start": _time(f.test_start),
                "test_end": _time(f.test_end),
                "train_run_id": f.train_run_id,
                "test_run_id": f.test_run_id,
                "train_trades": f.train_trades,
                "fitted": {
                    "digest": f.fitted.digest,
                    "calibration_method": f.fitted.calibration_method,
                    "calibration_samples": f.fitted.calibration_samples,
                    "family_weights": {k: _ratio(v) for k, v in f.fitted.family_weights.items()},
                    "analyst_weights": {k: _ratio(v) for k, v in f.fitted.analyst_weights.items()},
                },
                "initial_capital": _money(f.initial_capital),
                "final_equity": _money(f.final_equity),
                "trades": t.trades,
                "total_return": _ratio(t.total_return),
                "sharpe": _ratio(t.sharpe),
                "max_drawdown": _money(t.max_drawdown),
                "max_drawdown_pct": _ratio(t.max_drawdown_pct),
                "brier": _ratio(t.brier),
                "signals": t.signals,
            }
        )
    returns = [f.test.total_return for f in walk.folds]
    return {
        "train_seconds": _seconds(walk.train),
        "test_seconds": _seconds(walk.test),
        "step_seconds": _seconds(walk.step),
        "folds": folds,
        "summary": {
            "folds": len(folds),
            "out_of_sample_trades": sum(f.test.trades for f in walk.folds),
            "profitable_folds": sum(r > 0 for r in returns),
            "mean_fold_return": _ratio(sum(returns) / len(returns)),
            "worst_fold_return": _ratio(min(returns)),
        },
    }


def canonical_json(document: JSON) -> bytes:
    """The document's canonical UTF-8 bytes (sorted keys, 2-space indent, final newline)."""
    text = json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
