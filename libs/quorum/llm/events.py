"""Budget events: every call that hits a cap is journaled as a ``budget_event``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import Engine

from quorum.domain import JournalKind
from quorum.ports import JournalAppender
from quorum.store import session_scope

_log = logging.getLogger(__name__)

ACTOR = "llm.router"


@runtime_checkable
class BudgetEventSink(Protocol):
    def budget_exceeded(self, payload: Mapping[str, Any], run_id: str | None) -> None: ...


class JournalBudgetEvents:
    """Appends a ``budget_event`` entry in its own transaction."""

    def __init__(self, journal: JournalAppender, engine: Engine) -> None:
        self._journal = journal
        self._engine = engine

    def budget_exceeded(self, payload: Mapping[str, Any], run_id: str | None) -> None:
        try:
            with session_scope(self._engine) as session:
                self._journal.append(session, JournalKind.BUDGET_EVENT, payload, ACTOR, run_id)
        except Exception:  # the call already degraded safely; a journal outage is logged
            _log.exception("llm budget event could not be journaled: %s", dict(payload))


class RecordingBudgetEvents:
    """Keeps events in memory (tests, offline runs without a journal)."""

    def __init__(self) -> None:
        self.events: list[tuple[dict[str, Any], str | None]] = []

    def budget_exceeded(self, payload: Mapping[str, Any], run_id: str | None) -> None:
        self.events.append((dict(payload), run_id))
