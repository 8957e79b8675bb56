"""What the stages write to the audit journal, each in its own database transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from quorum.domain import JournalKind, ScanResult
from quorum.journal import Journal
from quorum.store import session_scope

SCAN_VALUES = ("close", "rsi", "atr", "adx", "ema_fast", "ema_slow", "macd_hist")


def scan_payload(result: ScanResult) -> dict[str, Any]:
    """A compact, canonical-JSON-safe record of one multi-timeframe scan."""
    return {
        "symbol": result.symbol,
        "as_of": result.as_of.isoformat(),
        "timeframes": [
            {
                "timeframe": item.timeframe.value,
                "bars": item.bars,
                "bar_open": item.snapshot.bar_open.isoformat(),
                "values": {
                    k: item.snapshot.values[k] for k in SCAN_VALUES if k in item.snapshot.values
                },
                "regime": {"kind": item.regime.kind.value, "strength": item.regime.strength},
                "patterns": [
                    {"name": hit.name, "bias": hit.bias.value, "confidence": hit.confidence}
                    for hit in item.patterns
                ],
            }
            for item in result.timeframes
        ],
    }


class StageJournal:
    """Appends stage records for one run; each append commits on its own."""

    def __init__(self, journal: Journal, engine: Engine, run_id: str, actor: str) -> None:
        self._journal = journal
        self._engine = engine
        self.run_id = run_id
        self._actor = actor
        self.appended = 0

    def record(self, kind: JournalKind, payload: dict[str, Any]) -> None:
        with session_scope(self._engine) as session:
            self._journal.append(session, kind, payload, actor=self._actor, run_id=self.run_id)
        self.appended += 1

    def scan(self, result: ScanResult) -> None:
        self.record(JournalKind.SCAN, scan_payload(result))
