"""A backtest runtime whose entries go out as market orders (``execution.entry_protection_bps``
None): for runs that must fill every entry at the next open however far it gapped — the
cross-check against backtesting.py, and the gapped-fill path of the monitor."""

from __future__ import annotations

from typing import Any


def market_entries(runtime: Any) -> Any:
    """``runtime`` (closed) rebuilt with market entries, over the same database."""
    from apps.bootstrap import build_runtime

    settings = runtime.settings
    runtime.close()
    execution = settings.execution.model_copy(update={"entry_protection_bps": None})
    return build_runtime(settings.model_copy(update={"execution": execution}))
