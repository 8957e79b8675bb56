"""``--ablate llm``: the same window with and without the LLM opinions, side by side.

Both arms are ordinary backtests of one spec (same data, seed and settings) on their own
databases; the second sets ``agents.llm_opinions: false``, so no LLM node runs and the
score is the quantitative evidence alone. :func:`arm_summary` reads each arm's numbers from
its report metrics; :func:`run_decisions` reads every analysis the arm took (the analyze
task's stored results, with the signal's direction and the opinions behind it) and
:func:`differing_decisions` lists those that came out differently, with the opinions of
the arm that had them — what made them differ.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from quorum.backtest.report.metrics import compute_metrics
from quorum.backtest.results import BacktestResult
from quorum.pipeline.decisions import signal_id
from quorum.pipeline.opinions import signal_opinions
from quorum.store.tables.pipeline import TASK_RUNS_TABLE

ARMS = ("with_llm", "without_llm")

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Decision:
    """One analysis of an arm: what it decided (``long`` / ``short`` / ``none``) and why."""

    symbol: str
    as_of: str
    decision: str
    status: str
    score: float | None
    reason: str | None
    opinions: tuple[str, ...]


def arm_summary(result: BacktestResult) -> JSON:
    """Trades, hit rate, expectancy, Sharpe, max drawdown and LLM spend of one arm."""
    m = compute_metrics(result)
    t = m.trades
    return {
        "trades": t.closed,
        "hit_rate": t.win_rate,
        "expectancy": None if t.expectancy is None else str(t.expectancy),
        "expectancy_r": t.expectancy_r,
        "net_pnl": str(t.net_pnl),
        "sharpe": m.returns.sharpe,
        "max_drawdown": str(m.drawdown.max_money),
        "max_drawdown_pct": m.drawdown.max_fraction,
        "llm_calls": result.llm.calls,
        "llm_spend_usd": str(result.llm.spend_usd),
        "spend_per_trade_usd": None if m.spend_per_trade is None else str(m.spend_per_trade),
    }


def _opinion_text(row: dict[str, Any]) -> str:
    stance = row["stance"] or "no opinion"
    return f"{row['agent']}={stance} {float(row['confidence']):.2f} ({row['model']})"


def run_decisions(engine: Engine, run_id: str) -> dict[tuple[str, str], Decision]:
    """Every analysis ``run_id`` (and its parts ``run_id.N``, one symbol each) stored, by
    (symbol, as_of)."""
    runs = SQLModel.metadata.tables[TASK_RUNS_TABLE]
    with engine.connect() as conn:
        rows = conn.execute(
            select(runs.c.key, runs.c.result).where(
                runs.c.task == "analyze", runs.c.key.like(f"analyze:{run_id}%")
            )
        ).all()
        opinions = signal_opinions(conn, (signal_id(str(k)) for k, _ in rows))
    out: dict[tuple[str, str], Decision] = {}
    for key, text in rows:
        result = json.loads(text)
        sid = signal_id(str(key))
        status = str(result.get("status"))
        decision = str(result.get("direction")) if status == "approved" else "none"
        score = result.get("score")
        out[(str(result.get("symbol")), str(result.get("as_of")))] = Decision(
            symbol=str(result.get("symbol")),
            as_of=str(result.get("as_of")),
            decision=decision,
            status=status,
            score=None if score is None else float(score),
            reason=result.get("reason"),
            opinions=tuple(_opinion_text(r) for r in opinions.get(sid, [])),
        )
    return out


def differing_decisions(
    with_llm: dict[tuple[str, str], Decision], without_llm: dict[tuple[str, str], Decision]
) -> list[JSON]:
    """The analyses whose decision differs between the arms (one arm only: ``none``)."""
    out = []
    for key in sorted(set(with_llm) | set(without_llm)):
        a, b = with_llm.get(key), without_llm.get(key)
        da = a.decision if a is not None else "none"
        db = b.decision if b is not None else "none"
        if da == db:
            continue
        out.append(
            {
                "symbol": key[0],
                "as_of": key[1],
                "with_llm": _side(a),
                "without_llm": _side(b),
                "opinions": list(a.opinions) if a is not None else [],
            }
        )
    return out


def _side(d: Decision | None) -> JSON:
    if d is None:
        return {"decision": "none", "status": "not analysed", "score": None, "reason": None}
    return {"decision": d.decision, "status": d.status, "score": d.score, "reason": d.reason}


def ablation_table(
    results: dict[str, BacktestResult], decisions: dict[str, dict[tuple[str, str], Decision]]
) -> JSON:
    """The side-by-side table of the two arms and the decisions that differ."""
    return {
        "arms": {arm: arm_summary(results[arm]) for arm in ARMS},
        "differing_decisions": differing_decisions(decisions["with_llm"], decisions["without_llm"]),
    }
