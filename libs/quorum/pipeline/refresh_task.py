"""The ``refresh`` task body: closed trades → calibration, adaptive weights, model accuracy.

Level-triggered and deterministic: both are refitted from every closed trade in exit
order (isotonic calibration of strength-toward-the-trade vs. won; an ε-greedy bandit with
ε = 0 over pattern-family and analyst arms), so running it twice stores the same values.
Model accuracy: each closed trade is attributed to its signal's stored opinions and
per-(model, role) accuracy is learned over a rolling window with a prior
(:func:`quorum.scoring.learn_accuracy`, ``scoring.accuracy``). The results are persisted
(compare-and-set on their version) and journaled; the analyze task reads them for every new
analysis. The per-model and per-(model, role) accuracies (``model#role``) are also written
to ``llm_model_scores`` after the commit, where the router's accuracy board
(``accuracy_first``, ``cost_aware``) reads them for the asking node;
``deps.reload_accuracy`` makes this process's board re-read them at once.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from quorum.domain import Direction, JournalKind
from quorum.errors import QuorumError
from quorum.pipeline.deps import JSON, PipelineDeps
from quorum.pipeline.learned import CALIBRATION, WEIGHTS
from quorum.pipeline.opinions import ACCURACY, opinion_hits, publish_accuracy
from quorum.pipeline.persistence import (
    get_signal,
    load_scoring,
    put_trade,
    save_scoring,
    trades,
)
from quorum.scoring import (
    Calibrator,
    EpsilonGreedy,
    EvidenceWeights,
    LearnedAccuracy,
    TradeOutcome,
    arm_credit,
    fit_calibration,
    learn_accuracy,
    strength_toward,
    update_weights,
)
from quorum.store import session_scope


class ScoringConflict(QuorumError):
    """Another worker refreshed the scoring state at the same time."""


def refresh(deps: PipelineDeps) -> JSON:
    with session_scope(deps.engine) as session:
        result, accuracy = _refresh(deps, session)
    if publish_accuracy(deps.engine, deps.clock, accuracy) and deps.reload_accuracy is not None:
        deps.reload_accuracy()
    return result


def _refresh(deps: PipelineDeps, session: Session) -> tuple[JSON, dict[str, LearnedAccuracy]]:
    closed = sorted(
        (t for t in trades(session, states=["closed"]) if t.pnl is not None),
        key=lambda t: (t.closed_at or t.opened_at, t.trade_id),
    )
    outcomes: list[TradeOutcome] = []
    strengths: list[float] = []
    for trade in closed:
        signal = get_signal(session, trade.signal_id)
        if signal is None or trade.closed_at is None or trade.pnl is None:
            continue
        direction = Direction(trade.direction)
        sign = 1.0 if direction is Direction.LONG else -1.0
        outcomes.append(
            TradeOutcome(
                symbol=trade.symbol,
                direction=direction,
                entry_time=trade.opened_at,
                exit_time=max(trade.closed_at, trade.opened_at),
                r_multiple=trade.r_multiple or 0.0,
                pnl=trade.pnl,
                contributors={
                    c.name: sign * c.contribution for c in signal.components if c.contribution
                },
            )
        )
        strengths.append(strength_toward(signal.score or 0.0, direction))
    enough = len(outcomes) >= deps.settings.refresh_min_trades
    calibrator = (
        fit_calibration(strengths, [o.won for o in outcomes]) if enough else Calibrator.prior_only()
    )
    arms = sorted({arm for o in outcomes for arm in arm_credit(o)})
    weights = (
        update_weights(EvidenceWeights(), outcomes, EpsilonGreedy(arms, epsilon=0.0, seed=0))
        if arms
        else EvidenceWeights()
    )
    accuracy = learn_accuracy(opinion_hits(session, closed), deps.scoring.accuracy)
    now = deps.clock.now()
    states: list[tuple[str, JSON]] = [
        (CALIBRATION, calibrator.model_dump(mode="json")),
        (WEIGHTS, weights.model_dump(mode="json")),
        (ACCURACY, {k: v.model_dump(mode="json") for k, v in accuracy.items()}),
    ]
    for name, payload in states:
        stored, version = load_scoring(session, name)
        if stored == payload:
            continue
        if not save_scoring(session, name, payload, version, now):
            raise ScoringConflict(f"scoring {name}: version {version} was replaced")
    learned = 0
    for trade in closed:
        if not trade.learned:
            learned += int(put_trade(session, trade, replace(trade, learned=True)))
    result: JSON = {
        "status": "done",
        "closed_trades": len(outcomes),
        "newly_learned": learned,
        "calibrated": enough,
        "wins": sum(o.won for o in outcomes),
        "weights": {"families": weights.families, "analysts": weights.analysts},
        "accuracy": {k: round(v.accuracy, 4) for k, v in accuracy.items()},
    }
    if learned:
        deps.journal.append(
            session,
            JournalKind.SCORE,
            {"event": "scoring_refreshed", **result},
            actor=deps.settings.actor,
            run_id=deps.run_id,
        )
    return result, accuracy
