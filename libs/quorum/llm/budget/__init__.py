"""Spend caps that hold under concurrency: reserve the worst case, settle the real cost.

``MemoryBudgetLedger`` (one process), ``SqlBudgetLedger`` (the store's database, the
default) and ``RedisBudgetLedger`` (cluster mode) implement :class:`BudgetLedger`.
Importing this package loads neither redis nor litellm.
"""

from quorum.llm.budget.base import (
    BudgetDenied,
    BudgetLedger,
    BudgetScope,
    BudgetUnavailable,
    Reservation,
    ScopeState,
    check_caps,
    scopes_for,
)
from quorum.llm.budget.memory import MemoryBudgetLedger
from quorum.llm.budget.redis import RedisBudgetLedger
from quorum.llm.budget.sql import SqlBudgetLedger

__all__ = [
    "BudgetDenied",
    "BudgetLedger",
    "BudgetScope",
    "BudgetUnavailable",
    "MemoryBudgetLedger",
    "RedisBudgetLedger",
    "Reservation",
    "ScopeState",
    "SqlBudgetLedger",
    "check_caps",
    "scopes_for",
]
