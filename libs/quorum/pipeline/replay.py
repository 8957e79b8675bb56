"""Replay the scan stage over a window, as the beat schedule would run it live.

At each base-bar close the timeframes whose bar just closed are scanned. The clock
is a ReplayClock moved bar by bar, so the code path is the live one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from quorum.clock import ReplayClock
from quorum.domain import ScanResult, Timeframe
from quorum.pipeline.scan import ScanStage


@dataclass
class ScanReplaySummary:
    """What a replay really did; every number is counted, none is estimated."""

    start: datetime
    end: datetime
    symbols: tuple[str, ...]
    steps: int = 0
    base_bars: int = 0
    scans: Counter[str] = field(default_factory=Counter)
    patterns: Counter[str] = field(default_factory=Counter)
    regimes: Counter[str] = field(default_factory=Counter)
    scan_seconds: list[float] = field(default_factory=list)
    last: dict[str, ScanResult] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "symbols": list(self.symbols),
            "steps": self.steps,
            "base_bars": self.base_bars,
            "scans": dict(self.scans),
            "patterns": dict(self.patterns),
            "regimes": dict(self.regimes),
        }


def due_timeframes(timeframes: Sequence[Timeframe], as_of: datetime) -> list[Timeframe]:
    """Timeframes whose bar closes exactly at ``as_of``."""
    return [tf for tf in timeframes if tf.is_on_grid(as_of)]


def replay_scans(
    stage: ScanStage,
    clock: ReplayClock,
    symbols: Sequence[str],
    timeframes: Sequence[Timeframe],
    base: Timeframe,
    steps: int,
    timer: Callable[[], float],
    on_step: Callable[[int], None] | None = None,
    on_scan: Callable[[ScanResult], None] | None = None,
) -> ScanReplaySummary:
    """Advance ``clock`` one base bar at a time for ``steps`` bars, scanning what is due."""
    start = clock.now()
    summary = ScanReplaySummary(start=start, end=start, symbols=tuple(symbols))
    for step in range(steps):
        clock.advance(base.delta)
        as_of = clock.now()
        due = due_timeframes(timeframes, as_of)
        for symbol in symbols:
            summary.base_bars += 1
            if not due:
                continue
            began = timer()
            result = stage.scan(symbol, due, as_of)
            summary.scan_seconds.append(timer() - began)
            if on_scan is not None:
                on_scan(result)
            summary.last[symbol] = result
            for item in result.timeframes:
                key = item.timeframe.value
                summary.scans[key] += 1
                summary.regimes[f"{key}:{item.regime.kind.value}"] += 1
                for hit in item.patterns:
                    summary.patterns[f"{hit.family.value}:{hit.name}"] += 1
        summary.steps = step + 1
        summary.end = as_of
        if on_step is not None:
            on_step(step + 1)
    return summary
