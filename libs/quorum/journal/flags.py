"""Flag flips chained into the journal: a ``FlagChangeRecorder`` for the flag stores.

Hand a :class:`JournalFlagRecorder` to ``quorum.config.build_flag_store(recorder=…)``;
every successful flip becomes one ``flag_change`` entry, appended in its own
transaction (the flip itself lives in the flag store, not in this database).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

from quorum.domain import JournalKind
from quorum.store import SessionFactory, session_scope

if TYPE_CHECKING:
    from quorum.config.flags.model import FlagChange
    from quorum.journal.journal import Journal


class JournalFlagRecorder:
    """Implements ``quorum.config.FlagChangeRecorder`` by appending to a journal."""

    def __init__(self, journal: Journal, session_factory: SessionFactory | Engine) -> None:
        self._journal = journal
        self._sessions = session_factory

    def __repr__(self) -> str:
        return f"JournalFlagRecorder(journal={self._journal!r})"

    def record(self, change: FlagChange) -> None:
        payload = {
            "name": change.name,
            "old": change.old,
            "new": change.new,
            "reason": change.reason,
            "at": change.at,
            "backend": change.backend,
            "version": change.version,
        }
        with session_scope(self._sessions) as session:
            self._journal.append(session, JournalKind.FLAG_CHANGE, payload, actor=change.actor)
