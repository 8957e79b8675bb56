"""The candidate screen as a ranked budget: which candidates of a cycle get an analysis.

A scan is a *candidate* when it has a pattern event or a strong trending regime
(:func:`quorum.pipeline.scan_task.candidate_reason`). Candidates are ranked by their
**pre-LLM score**: the absolute confluence score of the scan with no opinions
(:func:`quorum.scoring.score_confluence` — the very score the analysis graph's prefilter
node computes, here on the scanned timeframe alone), best first; ties go to the longer
timeframe, then the symbol. Two budgets then decide, in rank order, which are analysed:

* ``max_analyses_per_cycle``: the analyses of one *cycle* — the scans of one base-bar
  close (the bucket ``cycle:<base bar close>``, the base bar settled at the scan's clock);
* ``max_analyses_per_symbol_day``: the analyses of one symbol in one UTC day
  (``day:<symbol>:<date>``).

Each budget is a row of ``pipeline_analysis_budget`` taken by a conditional
``used = used + 1 WHERE used < cap`` in the scan's own transaction, so it is atomic: in
Celery mode, where the scans of one bar close arrive as separate tasks, they are granted
first-come up to the cap (each task ranks only its own scan); the embedded driver hands
a base bar's scans to ``scan_many`` as one batch, so the cap keeps the best ranked.
A rolled-back scan gives its grant back. A ``None`` cap is no budget (no row is written).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, update
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from quorum.domain import Timeframe
from quorum.pipeline.runs import inserted
from quorum.store.tables.pipeline import ANALYSIS_BUDGET_TABLE

BUDGET = SQLModel.metadata.tables[ANALYSIS_BUDGET_TABLE]
ANALYSED = "submitted"
CAPPED = "capped"


@dataclass(frozen=True, slots=True)
class Ranked:
    """A candidate's place in its cycle: ``rank`` 1 is the best pre-LLM score."""

    index: int
    rank: int
    score: float


def rank_candidates(items: Sequence[tuple[str, Timeframe, float]]) -> list[Ranked]:
    """``(symbol, timeframe, pre-LLM score)`` per candidate → ranked, best first: higher
    ``|score|``, then the longer timeframe, then the symbol (pure, deterministic)."""
    order = sorted(
        range(len(items)),
        key=lambda i: (-abs(items[i][2]), -items[i][1].seconds, items[i][0]),
    )
    return [Ranked(index, rank, items[index][2]) for rank, index in enumerate(order, start=1)]


def take(session: Session, run_id: str, bucket: str, cap: int | None) -> bool:
    """Take one analysis from ``bucket`` (capped at ``cap``) in ``session``'s transaction;
    False when it is spent. ``cap`` None: always True, nothing written."""
    if cap is None:
        return True
    inserted(session, ANALYSIS_BUDGET_TABLE, {"run_id": run_id, "bucket": bucket, "used": 0})
    where = and_(BUDGET.c.run_id == run_id, BUDGET.c.bucket == bucket, BUDGET.c.used < cap)
    result = session.execute(update(BUDGET).where(where).values(used=BUDGET.c.used + 1))
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def give_back(session: Session, run_id: str, bucket: str, cap: int | None) -> None:
    """Return one analysis taken from ``bucket`` in this transaction (a later budget of the
    same candidate refused it)."""
    if cap is None:
        return
    where = and_(BUDGET.c.run_id == run_id, BUDGET.c.bucket == bucket)
    session.execute(update(BUDGET).where(where).values(used=BUDGET.c.used - 1))
