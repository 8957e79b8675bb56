"""Doubles and builders shared by the agents tests (imported as ``tests.unit.agents.agents_kit``).

* :class:`ScriptedRouter` — an ``LLMRouter`` answering each node with a scripted stance;
  it records every request and can raise once per node (to exercise the retry policy).
* :class:`OrderLog` / :class:`RecordingJournal` — a journal double that writes into a log
  the test also writes node events into, so "journaled before the node returned" is
  checkable.
* :class:`FixedRiskGate` — approves (or rejects) every signal and records what it saw.
* :func:`strong_scan` / :func:`flat_scan` — scans that pass / fail the quantitative prefilter.
"""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from quorum.agents import AgentSettings, AnalysisServices, NodeRetry
from quorum.domain import (
    JournalKind,
    RiskDecision,
    RuleCheck,
    ScanResult,
    Signal,
    Timeframe,
    Verdict,
)
from quorum.llm import AnalystAnswer
from quorum.ports import LLMRequest, LLMResult
from quorum.testing import T0, make_pattern_hit, make_regime, make_scan_result, make_timeframe_scan

AS_OF = T0 + timedelta(hours=4)
CLOSE = 100.0
ATR = 1.5

STRONG_VALUES = {
    "close": CLOSE,
    "atr": ATR,
    "ema_fast": 101.0,
    "ema_slow": 99.5,
    "macd_hist": 0.4,
    "rsi": 58.0,
    "plus_di": 30.0,
    "minus_di": 12.0,
    "adx": 30.0,
}
FLAT_VALUES = {"close": CLOSE, "atr": ATR, "rsi": 50.0}


def _timeframe(tf: Timeframe, values: Mapping[str, float], strong: bool) -> Any:
    base = make_timeframe_scan(timeframe=tf, as_of=AS_OF)
    snapshot = base.snapshot.model_copy(update={"values": dict(values)})
    if strong:
        patterns = (
            make_pattern_hit(timeframe=tf, bars=(snapshot.bar_open,), confidence=0.8),
            make_pattern_hit(
                timeframe=tf,
                bars=(snapshot.bar_open,),
                family="candlestick",
                name="hammer",
                confidence=0.6,
            ),
            make_pattern_hit(
                timeframe=tf,
                bars=(snapshot.bar_open,),
                family="support_resistance",
                name="support",
                bias="neutral",
                confidence=0.3,
            ),
        )
        regime = make_regime(timeframe=tf, as_of=AS_OF, trend_score=0.6, strength=0.7)
    else:
        patterns = ()
        regime = make_regime(
            timeframe=tf, as_of=AS_OF, kind="sideways", trend_score=0.0, strength=0.1
        )
    return base.model_copy(update={"snapshot": snapshot, "patterns": patterns, "regime": regime})


def strong_scan() -> ScanResult:
    """1h + 4h, bullish indicators, patterns and regime: passes every threshold."""
    frames = tuple(_timeframe(tf, STRONG_VALUES, True) for tf in (Timeframe.H1, Timeframe.H4))
    return ScanResult.model_validate(
        make_scan_result(as_of=AS_OF).model_dump() | {"timeframes": frames}
    )


def flat_scan() -> ScanResult:
    """1h + 4h with no directional evidence at all: the prefilter scores it 0."""
    frames = tuple(_timeframe(tf, FLAT_VALUES, False) for tf in (Timeframe.H1, Timeframe.H4))
    return ScanResult.model_validate(
        make_scan_result(as_of=AS_OF).model_dump() | {"timeframes": frames}
    )


# -- the LLM router double ----------------------------------------------------------------


def answer(stance: str = "bullish", confidence: float = 0.7) -> AnalystAnswer:
    return AnalystAnswer(
        stance=stance,  # type: ignore[arg-type]  # tests pass the literal values
        confidence=confidence,
        key_evidence=(f"scripted {stance}",),
        rationale=f"Scripted {stance} view.",
    )


@dataclass
class ScriptedRouter:
    """Answers ``stances[node]`` (default bullish 0.7); ``fail_once[node]`` raises once."""

    stances: dict[str, tuple[str, float]] = field(default_factory=dict)
    fail_once: dict[str, Exception] = field(default_factory=dict)
    fail_always: dict[str, Exception] = field(default_factory=dict)
    requests: list[LLMRequest[Any]] = field(default_factory=list)
    log: OrderLog | None = None

    def calls(self, node: str) -> int:
        return sum(1 for r in self.requests if r.node == node)

    def complete[T: BaseModel](self, request: LLMRequest[T]) -> LLMResult[T]:
        self.requests.append(request)
        if self.log is not None:
            self.log.entries.append(("llm", request.node))
        if request.node in self.fail_always:
            raise self.fail_always[request.node]
        if request.node in self.fail_once:
            raise self.fail_once.pop(request.node)
        stance, confidence = self.stances.get(request.node, ("bullish", 0.7))
        output = request.schema.model_validate(answer(stance, confidence).model_dump())
        return LLMResult(
            output=output,
            no_opinion_reason=None,
            outcome="ok",
            model="scripted/analyst",
            provider="scripted",
            policy=request.policy or "accuracy_first",
            why="scripted answer",
            prompt_version=request.template or "messages",
        )


# -- journal and risk doubles -------------------------------------------------------------


@dataclass
class OrderLog:
    """One ordered log of journal entries, LLM calls and streamed node events."""

    entries: list[tuple[str, str]] = field(default_factory=list)

    def index(self, item: tuple[str, str]) -> int:
        return self.entries.index(item)

    def last_index(self, item: tuple[str, str]) -> int:
        return len(self.entries) - 1 - self.entries[::-1].index(item)


@dataclass
class RecordingJournal:
    log: OrderLog = field(default_factory=OrderLog)
    records: list[tuple[JournalKind, dict[str, Any]]] = field(default_factory=list)

    def record(self, kind: JournalKind, payload: dict[str, Any]) -> None:
        self.records.append((kind, payload))
        self.log.entries.append(("journal", kind.value))

    def kinds(self) -> list[str]:
        return [kind.value for kind, _ in self.records]


@dataclass
class FixedRiskGate:
    """Approves every signal with ``quantity`` (or rejects with ``reject``); records calls."""

    quantity: Decimal = Decimal("1.5")
    reject: str | None = None
    seen: list[tuple[Signal, datetime]] = field(default_factory=list)

    def __call__(self, signal: Signal, as_of: datetime) -> RiskDecision:
        self.seen.append((signal, as_of))
        if self.reject is not None:
            check = RuleCheck(
                rule="account.daily_loss",
                passed=False,
                measured="3.1%",
                limit="3%",
                message=self.reject,
            )
            return RiskDecision(
                symbol=signal.symbol,
                as_of=as_of,
                verdict=Verdict.REJECTED,
                quantity=Decimal(0),
                checks=(check,),
                reason=self.reject,
            )
        return RiskDecision(
            symbol=signal.symbol, as_of=as_of, verdict=Verdict.APPROVED, quantity=self.quantity
        )


FAST_RETRY = NodeRetry(max_attempts=3, initial_interval_s=0.0, max_interval_s=0.0, jitter=False)


def services(
    router: Any = None,
    journal: RecordingJournal | None = None,
    gate: FixedRiskGate | None = None,
    **settings: Any,
) -> AnalysisServices:
    values: dict[str, Any] = {"retry": FAST_RETRY, **settings}
    return AnalysisServices(
        router=router if router is not None else ScriptedRouter(),
        journal=journal if journal is not None else RecordingJournal(),
        risk_gate=gate if gate is not None else FixedRiskGate(),
        run_id="run-agents",
        settings=AgentSettings.model_validate(values),
    )
