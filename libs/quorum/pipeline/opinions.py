"""The opinions behind each analysis, and what closed trades teach about the models.

The analyze task stores, under each analysis's signal id (derived from its task key, also
when the analysis ended in a no-trade and no signal row was stored), the opinions its score
used (the analysts' and the last debate round's): node, agent (the role), the model's LLM
role, model, stance, confidence and prompt version. The ``refresh`` task attributes every
closed trade to its signal's opinions (:func:`opinion_hits`) and learns per-(model, role)
accuracy from them (:func:`quorum.scoring.learn_accuracy`); the analyze task reads the
result back (:func:`learned_accuracy`) into the confluence weights, and the router's
accuracy board reads the per-model values from ``llm_model_scores``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from quorum.agents.settings import ANALYSTS, DEBATERS
from quorum.clock import Clock
from quorum.domain import AgentOpinion, Bias, Direction
from quorum.llm import save_accuracy
from quorum.pipeline.persistence import Reader, Trade, load_scoring
from quorum.pipeline.runs import inserted
from quorum.scoring import LearnedAccuracy, OpinionHit, stance_was_right
from quorum.store.tables.pipeline import SIGNAL_OPINIONS_TABLE

ACCURACY = "accuracy"
"""Name of the learned accuracy in the pipeline's scoring state."""

MODEL_KEY_CHARS = 64
"""``llm_model_scores.model`` holds this many characters; a longer ``model#role`` key stays
in the scoring state only (the router then uses the model's pooled score)."""

_OPINIONS = SQLModel.metadata.tables[SIGNAL_OPINIONS_TABLE]


def scored_opinions(opinions: Sequence[AgentOpinion]) -> list[tuple[str, AgentOpinion]]:
    """(node, opinion) for the opinions a final score used: the analysts' and the last
    debate round's (``AnalysisOutcome.opinions`` lists every round in order)."""
    analysts = [("analyst", o) for o in opinions if o.agent in ANALYSTS]
    debate = [o for o in opinions if o.agent not in ANALYSTS]
    return [*analysts, *(("debate", o) for o in debate[-len(DEBATERS) :])]


def store_opinions(
    session: Session,
    run_id: str,
    signal_id: str,
    opinions: Sequence[AgentOpinion],
    roles: Mapping[str, str],
) -> int:
    """Store the scored ``opinions`` of ``signal_id`` once (a redelivery stores nothing)."""
    stored = 0
    for seq, (node, opinion) in enumerate(scored_opinions(opinions)):
        row = {
            "signal_id": signal_id,
            "seq": seq,
            "run_id": run_id,
            "node": node,
            "agent": opinion.agent,
            "llm_role": roles.get(opinion.agent, ""),
            "model": opinion.model or "none",
            "stance": None if opinion.stance is None else opinion.stance.value,
            "confidence": opinion.confidence,
            "prompt_version": opinion.prompt_version,
        }
        stored += int(inserted(session, SIGNAL_OPINIONS_TABLE, row))
    return stored


def signal_opinions(db: Reader, signal_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """The stored opinion rows per signal id, in order."""
    ids = sorted(set(signal_ids))
    if not ids:
        return {}
    stmt = (
        select(_OPINIONS)
        .where(_OPINIONS.c.signal_id.in_(ids))
        .order_by(_OPINIONS.c.signal_id, _OPINIONS.c.seq)
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for row in db.execute(stmt).mappings():
        out.setdefault(str(row["signal_id"]), []).append(dict(row))
    return out


def opinion_hits(db: Reader, closed: Sequence[Trade]) -> list[OpinionHit]:
    """Each closed trade's scored opinions (trades in the given order) as hits: right when
    the stance agreed with the direction and the trade won, or disagreed and it lost."""
    rows = signal_opinions(db, (t.signal_id for t in closed))
    hits: list[OpinionHit] = []
    for trade in closed:
        if trade.pnl is None:
            continue
        for row in rows.get(trade.signal_id, []):
            stance = None if row["stance"] is None else Bias(str(row["stance"]))
            right = stance_was_right(stance, Direction(trade.direction), trade.pnl > 0)
            if right is None:
                continue
            hits.append(
                OpinionHit(
                    model=str(row["model"]),
                    role=str(row["agent"]),
                    confidence=float(row["confidence"]),
                    right=right,
                )
            )
    return hits


def publish_accuracy(engine: Engine, clock: Clock, accuracy: Mapping[str, LearnedAccuracy]) -> int:
    """Write ``accuracy`` (per model and ``model#role``) to ``llm_model_scores``, where the
    router's accuracy board reads it; run after the transaction that learned it. Returns
    the number of rows written."""
    scores = {k: a.accuracy for k, a in accuracy.items() if len(k) <= MODEL_KEY_CHARS}
    for key, value in sorted(scores.items()):
        save_accuracy(engine, clock, key, value, source="trades")
    return len(scores)


def learned_accuracy(db: Reader) -> dict[str, LearnedAccuracy]:
    """The accuracy the last ``refresh`` learned, per accuracy key (empty before any)."""
    payload, _ = load_scoring(db, ACCURACY)
    return {k: LearnedAccuracy.model_validate(v) for k, v in (payload or {}).items()}


__all__ = [
    "ACCURACY",
    "learned_accuracy",
    "opinion_hits",
    "publish_accuracy",
    "scored_opinions",
    "signal_opinions",
    "store_opinions",
]
