"""The shape of one audit-journal entry (hashing and storage live in ``quorum.journal``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from quorum.domain.base import DomainModel, Hash256, UtcDatetime


class JournalKind(StrEnum):
    FLAG_CHANGE = "flag_change"
    CONFIG_CHANGE = "config_change"
    SCAN = "scan"
    OPINION = "opinion"
    SCORE = "score"
    RISK_DECISION = "risk_decision"
    SIGNAL = "signal"
    INTENT = "intent"
    ORDER_UPDATE = "order_update"
    FILL = "fill"
    POSITION = "position"
    RECONCILIATION = "reconciliation"
    BUDGET_EVENT = "budget_event"
    SAFE_MODE = "safe_mode"
    KILL_SWITCH = "kill_switch"
    RUN = "run"
    ANALYSIS = "analysis"
    """An analysis resumed from its LangGraph checkpoint (names the earlier attempt)."""


class JournalEntry(DomainModel):
    """One link of the hash chain."""

    seq: int = Field(ge=1)
    time: UtcDatetime
    kind: JournalKind
    actor: str = Field(min_length=1, max_length=120)
    run_id: str | None = Field(default=None, max_length=64)
    payload: dict[str, Any]
    prev_hash: Hash256
    hash: Hash256
