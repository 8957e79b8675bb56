"""The bookkeeping of one request: what it cost, what it tried, and its budget holds.

:class:`Attempt` accumulates tokens, cost, fallbacks and notes, builds the
:class:`LLMResult` and writes the ledger row and metrics. :class:`CallBudget` reserves
the worst case of a fallback chain: the hold must cover the most expensive model litellm
may end up calling, so when the caps cannot take it the most expensive models are
dropped from the chain (accuracy_first thus picks the best model *within* the remaining
budget) and, when nothing paid fits, the caller degrades.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

from quorum.clock import Clock
from quorum.llm.budget import (
    BudgetDenied,
    BudgetLedger,
    BudgetScope,
    BudgetUnavailable,
    Reservation,
    scopes_for,
)
from quorum.llm.ledger import CallRecord, LedgerWriter
from quorum.llm.metrics import LLMMetrics
from quorum.llm.money import from_nano
from quorum.llm.registry import RegisteredModel
from quorum.llm.settings import BudgetSettings, PolicyName
from quorum.ports import LLMRequest, LLMResult, NoOpinionReason

_log = logging.getLogger(__name__)

_WHY_MAX = 400
HOLD_POLL_S = 0.05
"""How often a call waiting for in-flight holds re-tries its reservation (other processes'
settlements are seen this way; this process's wake the waiters at once)."""


class Attempt[T: BaseModel]:
    def __init__(self, request: LLMRequest[T], clock: Clock) -> None:
        self.request = request
        self.clock = clock
        self.started = clock.monotonic()
        self.policy: PolicyName = "accuracy_first"
        self.prompt_version = ""
        self.why = ""
        self.fallbacks: list[str] = []
        self.input_tokens = 0
        self.output_tokens = 0
        self.cost_nano = 0
        self.last_cost_nano = 0
        self.repairs = 0
        self.cache_hit = False
        self.error: str | None = None

    def note(self, text: str) -> None:
        self.why = f"{self.why}; {text}" if self.why else text

    def add(self, input_tokens: int, output_tokens: int, cost_nano: int) -> None:
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        self.cost_nano += cost_nano
        self.last_cost_nano = cost_nano

    def _result(
        self,
        output: T | None,
        reason: NoOpinionReason | None,
        model: str,
        provider: str,
        outcome: str,
    ) -> LLMResult[T]:
        return LLMResult(
            output=output,
            no_opinion_reason=reason,
            outcome=outcome,
            model=model,
            provider=provider,
            policy=self.policy,
            why=self.why[:_WHY_MAX],
            fallbacks=tuple(self.fallbacks),
            latency_ms=(self.clock.monotonic() - self.started) * 1000.0,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cost_usd=from_nano(self.cost_nano),
            cache_hit=self.cache_hit,
            prompt_version=self.prompt_version,
        )

    def answer(self, output: T, model: str, provider: str, outcome: str) -> LLMResult[T]:
        return self._result(output, None, model, provider, outcome)

    def no_opinion(self, reason: NoOpinionReason, outcome: str) -> LLMResult[T]:
        return self._result(None, reason, "", "", outcome)

    def record(
        self, result: LLMResult[T], ledger: LedgerWriter | None, metrics: LLMMetrics | None
    ) -> None:
        """Ledger row and metrics; failures here are logged, never raised."""
        try:
            if metrics is not None:
                metrics.observe_call(
                    model=result.model,
                    provider=result.provider,
                    node=self.request.node,
                    outcome=result.outcome,
                    latency_s=result.latency_ms / 1000.0,
                    input_tokens=result.input_tokens,
                    output_tokens=result.output_tokens,
                    cost_usd=result.cost_usd,
                    cache_hit=result.cache_hit,
                )
            if ledger is not None:
                now = self.clock.now()
                ledger.write(
                    CallRecord(
                        time=now.isoformat(),
                        day=now.date().isoformat(),
                        node=self.request.node[:64],
                        role=self.request.role[:40],
                        symbol=self.request.symbol,
                        run_id=self.request.run_id,
                        policy=result.policy,
                        model=result.model,
                        provider=result.provider,
                        why=result.why,
                        fallbacks=",".join(result.fallbacks)[:400],
                        latency_ms=result.latency_ms,
                        input_tokens=result.input_tokens,
                        output_tokens=result.output_tokens,
                        cost_nano=self.cost_nano,
                        cache_hit=result.cache_hit,
                        outcome=result.outcome,
                        prompt_version=result.prompt_version[:64],
                        schema_version=self.request.schema_version[:64],
                        repairs=self.repairs,
                        error=self.error[:400] if self.error else None,
                    )
                )
        except Exception:  # accounting must not turn an answer into a failure
            _log.exception("llm call of node %s could not be recorded", self.request.node)


@dataclass(frozen=True, slots=True)
class Denial:
    """Nothing paid in the chain fits the budget (or the budget store is unreachable)."""

    scope: str
    requested_nano: int
    headroom_nano: int
    reason: str

    @property
    def scope_kind(self) -> str:
        return self.scope.split(":", 1)[0]


class CallBudget:
    """Reserve / settle for the router, with downgrade along the chain and failing closed."""

    def __init__(
        self,
        ledger: BudgetLedger,
        settings: BudgetSettings,
        clock: Clock,
        metrics: LLMMetrics | None = None,
    ) -> None:
        self.ledger = ledger
        self.settings = settings
        self.clock = clock
        self.metrics = metrics
        self._settled = threading.Condition()  # notified at each settlement in this process

    def reserve[T: BaseModel](
        self,
        request: LLMRequest[T],
        attempt: Attempt[T],
        chain: list[RegisteredModel],
        input_tokens: int,
        max_tokens: int,
    ) -> tuple[list[RegisteredModel], Reservation | None] | Denial:
        """The affordable part of ``chain`` and its hold, or why nothing fits."""
        now = self.clock.now()
        scopes = scopes_for(self.settings, now, request.run_id, request.symbol)
        worst = {m.name: m.worst_case_nano(input_tokens, max_tokens) for m in chain}
        sub = list(chain)
        denial: Denial | None = None
        while sub:
            amount = max(worst[m.name] for m in sub)
            if amount == 0 or not scopes:
                return sub, None
            try:
                reservation = self._hold(scopes, amount, now)
            except BudgetDenied as exc:
                denial = Denial(
                    exc.scope, amount, exc.headroom_nano, str(exc).removeprefix("llm budget: ")
                )
            except BudgetUnavailable as exc:
                _log.error("llm budget unavailable, failing closed: %s", exc)
                denial = Denial("store:unavailable", amount, 0, str(exc))
            else:
                self._gauge(reservation)
                return sub, reservation
            affordable = [m for m in sub if worst[m.name] <= denial.headroom_nano]
            dropped = [m.name for m in sub if m not in affordable]
            if affordable:
                attempt.note(
                    f"budget: passed over {', '.join(dropped)} (worst case above the "
                    f"{from_nano(denial.headroom_nano):.6f} USD left in {denial.scope})"
                )
                if self.metrics is not None:
                    self.metrics.budget_exceeded.labels(denial.scope_kind, "downgrade").inc()
            sub = affordable
        assert denial is not None
        return denial

    def _hold(self, scopes: Sequence[BudgetScope], amount: int, now: datetime) -> Reservation:
        """Reserve ``amount``; while only other calls' in-flight holds stand in the way (the
        scope's settled spend leaves room), wait for them to settle, up to ``hold_wait_s``.

        Holds are worst cases (2-8x what a call really costs) released at settlement, so a
        burst of concurrent calls whose real cost fits the cap would otherwise mostly be
        degraded while most of the cap stays unused. The hold stays a true upper bound."""
        polls = math.ceil(self.settings.hold_wait_s / HOLD_POLL_S)
        for poll in range(polls + 1):
            try:
                return self.ledger.reserve(scopes, amount, now, self.settings.reservation_ttl_s)
            except BudgetDenied as exc:
                denied = next((s for s in scopes if s.key == exc.scope), None)
                if poll == polls or denied is None:
                    raise
                if denied.cap_nano - self.ledger.spent_nano(denied.key) < amount:
                    raise  # settled spend alone leaves no room: waiting cannot help
                with self._settled:  # woken by a settlement here, or poll (other processes)
                    self._settled.wait(HOLD_POLL_S)
                now = self.clock.now()
        raise AssertionError("unreachable")  # pragma: no cover

    def settle(self, reservation: Reservation | None, actual_nano: int) -> None:
        if reservation is None:  # free chain, or no cap configured: nothing held
            return
        for tries in (1, 2, 3):
            try:
                self.ledger.settle(reservation, actual_nano, self.clock.now())
                with self._settled:
                    self._settled.notify_all()
                return
            except BudgetUnavailable as exc:
                _log.error("llm budget: settle attempt %d failed: %s", tries, exc)
        _log.critical(
            "llm budget: reservation %s not settled; %s USD are only in the cost ledger "
            "(the hold expires after its TTL)",
            reservation.id,
            from_nano(actual_nano),
        )

    def _gauge(self, reservation: Reservation) -> None:
        if self.metrics is None:
            return
        for scope, left in zip(reservation.scopes, reservation.headroom_nano, strict=False):
            self.metrics.budget_remaining.labels(scope.kind).set(float(from_nano(max(left, 0))))
