"""Protocols the pure core talks through. Adapters implement them; tests hand in fakes.

Ports are added here as the capability that needs them lands; each is the whole
surface the core may use of that adapter.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from pydantic import SecretStr

from quorum.clock import Clock
from quorum.domain import BarFrame, Timeframe

__all__ = ["Clock", "MarketData", "SecretsProvider"]


@runtime_checkable
class MarketData(Protocol):
    """A source of OHLCV bars (ccxt, local store, CSV/Parquet, synthetic)."""

    def fetch_bars(
        self, symbol: str, timeframe: Timeframe, since: datetime, until: datetime
    ) -> BarFrame:
        """Closed and validated bars with open time in ``[since, until)``."""
        ...


@runtime_checkable
class SecretsProvider(Protocol):
    """Resolves a secret reference (``env:NAME``, ``vault:path#key`` …) to its value.

    Values are returned as :class:`SecretStr` so they never reach a log line or repr.
    """

    def get(self, ref: str) -> SecretStr: ...
