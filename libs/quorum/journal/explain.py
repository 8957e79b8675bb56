"""The explanation invariant: every order the journal shows was explained before it.

An order is *placed* at its first ``order_update`` or ``fill`` entry (keyed by its
``client_order_id``). It is *explained* when, earlier in the journal and in the same run:

* an ``intent`` entry with ``status: stored`` and that client id recorded it (with an
  approved decision);
* for an **entry** leg, a ``signal`` entry proposed it: the entry's client id is derived
  from the intent's run, strategy, symbol and side and the signal's ``as_of``
  (:func:`~quorum.domain.derive_client_order_id`), so the signal of another run can never
  explain it. A signal written by the agents graph (it carries ``outcome``, or a
  ``re_evaluated`` commit of one) also needs the graph's ``risk_decision`` for that
  signal and at least one ``opinion`` on the same symbol and ``as_of`` in the same run.
  A rule strategy's signal carries its own risk decision (``signal`` + ``decision``)
  and has no opinions: that entry is its explanation;
* an order placed elsewhere and adopted by reconciliation (a ``reconciliation`` entry
  ``adopted_external_order`` naming its client id) is explained by that entry;
* for an **exit**, stop-loss or take-profit leg (monitor exits, strategy exits, kill
  switch flattens), the intent's own decision: verdict ``approved`` or ``resized``, the reason
  naming the exit cause or rule.

:class:`OrderExplainer` is pure: feed it entries in seq order, then read
:meth:`~OrderExplainer.report`; :func:`explain_orders` streams a database's journal
through it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine

from quorum.domain import (
    Direction,
    JournalEntry,
    JournalKind,
    OrderLeg,
    Side,
    Verdict,
    derive_client_order_id,
    parse_time,
)
from quorum.journal.rows import StoredRow, reader, select_entries, to_entry

ADOPTED = "adopted_external_order"
_APPROVED = frozenset({Verdict.APPROVED.value, Verdict.RESIZED.value})
RELEVANT_KINDS = (
    JournalKind.RECONCILIATION,
    JournalKind.OPINION,
    JournalKind.RISK_DECISION,
    JournalKind.SIGNAL,
    JournalKind.INTENT,
    JournalKind.ORDER_UPDATE,
    JournalKind.FILL,
)


class Unexplained(BaseModel):
    """The first order the journal cannot explain."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int
    """The entry at which the order first appears (its first order update or fill)."""
    client_order_id: str
    run_id: str | None
    missing: str
    """What is missing: ``intent``, ``signal``, ``risk_decision``, ``opinion`` or
    ``approved decision``."""
    detail: str


class ExplanationReport(BaseModel):
    """How many orders were checked and the first unexplained one, if any."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ok: bool
    orders_checked: int
    first_unexplained: Unexplained | None = None

    def summary(self) -> str:
        if self.first_unexplained is None:
            return f"every order explained ({self.orders_checked} checked)"
        u = self.first_unexplained
        return (
            f"unexplained order {u.client_order_id} at seq {u.seq} (run {u.run_id}): "
            f"no {u.missing} — {u.detail}"
        )


@dataclass(slots=True)
class _Signal:
    seq: int
    as_of: datetime
    direction: Direction
    graph: bool
    approved: bool


@dataclass(slots=True)
class OrderExplainer:
    """Checks orders against what preceded them (see the module doc); feed in seq order."""

    intents: dict[str, JournalEntry] = field(default_factory=dict)
    signals: dict[tuple[str, str], list[_Signal]] = field(default_factory=dict)
    risk: set[tuple[str, str, str]] = field(default_factory=set)
    opinions: set[tuple[str, str, str]] = field(default_factory=set)
    placed: set[str] = field(default_factory=set)
    adopted: set[str] = field(default_factory=set)
    first: Unexplained | None = None

    def feed(self, entries: Iterable[JournalEntry]) -> None:
        for entry in entries:
            self._one(entry)

    def report(self) -> ExplanationReport:
        return ExplanationReport(
            ok=self.first is None, orders_checked=len(self.placed), first_unexplained=self.first
        )

    def _one(self, entry: JournalEntry) -> None:
        p = entry.payload
        run = entry.run_id
        kind = entry.kind
        if kind is JournalKind.OPINION and run is not None:
            opinion = p.get("opinion")
            if isinstance(opinion, dict):
                self.opinions.add((run, str(opinion.get("symbol")), _instant(opinion.get("as_of"))))
        elif kind is JournalKind.RISK_DECISION and run is not None:
            signal = p.get("signal")
            if isinstance(signal, dict):
                self.risk.add((run, str(signal.get("symbol")), _instant(signal.get("as_of"))))
        elif kind is JournalKind.SIGNAL and run is not None:
            self._signal(entry.seq, run, p)
        elif kind is JournalKind.RECONCILIATION and p.get("event") == ADOPTED:
            self.adopted.add(str(p.get("client_order_id")))
        elif kind is JournalKind.INTENT and p.get("status") == "stored":
            self.intents.setdefault(str(p.get("client_order_id")), entry)
        elif kind in (JournalKind.ORDER_UPDATE, JournalKind.FILL):
            cid = p.get("client_order_id")
            if isinstance(cid, str) and cid not in self.placed:
                self.placed.add(cid)
                if self.first is None:
                    self.first = self._check(entry.seq, cid)

    def _signal(self, seq: int, run: str, p: dict[str, Any]) -> None:
        signal = p.get("signal")
        if not isinstance(signal, dict):
            return  # a no-trade decision
        graph = "outcome" in p or bool(p.get("re_evaluated"))
        decision = p.get("decision")
        approved = p.get("outcome") == "signal" or (
            isinstance(decision, dict) and decision.get("verdict") in _APPROVED
        )
        try:
            item = _Signal(
                seq,
                parse_time(str(signal["as_of"])),
                Direction(signal["direction"]),
                graph,
                approved,
            )
        except (KeyError, ValueError):
            return
        self.signals.setdefault((run, str(signal.get("symbol"))), []).append(item)

    def _check(self, seq: int, cid: str) -> Unexplained | None:
        if cid in self.adopted:
            return None  # not ours: placed elsewhere, adopted by reconciliation
        intent = self.intents.get(cid)
        if intent is None:
            return Unexplained(
                seq=seq,
                client_order_id=cid,
                run_id=None,
                missing="intent",
                detail="no stored intent with this client id precedes the order",
            )
        p = intent.payload
        run = p.get("run_id")
        run = run if isinstance(run, str) else None

        def missing(what: str, detail: str) -> Unexplained:
            return Unexplained(
                seq=seq, client_order_id=cid, run_id=run, missing=what, detail=detail
            )

        decision = p.get("decision")
        if not isinstance(decision, dict) or decision.get("verdict") not in _APPROVED:
            return missing("approved decision", f"intent at seq {intent.seq} has no approval")
        if p.get("leg") != OrderLeg.ENTRY.value:
            if not decision.get("reason"):
                return missing(
                    "approved decision",
                    f"exit intent at seq {intent.seq} names no exit cause or rule",
                )
            return None
        if run is None:
            return missing("signal", f"entry intent at seq {intent.seq} names no run")
        symbol = str(p.get("symbol"))
        signal = self._signal_of(run, symbol, str(p.get("strategy")), str(p.get("side")), cid)
        if signal is None:
            return missing(
                "signal",
                f"no signal of run {run} on {symbol} derives client id {cid} "
                f"(intent at seq {intent.seq})",
            )
        if not signal.approved:
            return missing("approved decision", f"the signal at seq {signal.seq} was not approved")
        if not signal.graph:
            return None  # a rule strategy: the signal entry carries its risk decision
        key = (run, symbol, signal.as_of.isoformat())
        if key not in self.risk:
            return missing(
                "risk_decision",
                f"the analysis signal at seq {signal.seq} ({symbol} at {key[2]}) has no "
                "risk decision before it",
            )
        if key not in self.opinions:
            return missing(
                "opinion",
                f"the analysis signal at seq {signal.seq} ({symbol} at {key[2]}) has no "
                "opinion before it",
            )
        return None

    def _signal_of(
        self, run: str, symbol: str, strategy: str, side: str, cid: str
    ) -> _Signal | None:
        found: _Signal | None = None
        for item in self.signals.get((run, symbol), ()):
            if item.direction.entry_side is not _side(side):
                continue
            derived = derive_client_order_id(
                run, strategy, symbol, item.as_of, item.direction.entry_side, OrderLeg.ENTRY
            )
            if derived == cid and (found is None or item.graph or not found.graph):
                found = item
        return found


def _side(value: str) -> Side | None:
    try:
        return Side(value)
    except ValueError:
        return None


def _instant(value: object) -> str:
    try:
        return parse_time(str(value)).isoformat()
    except ValueError:
        return str(value)


def explain_orders(engine: Engine) -> ExplanationReport:
    """Stream the journal of ``engine`` (the kinds that matter) through the explainer."""
    explainer = OrderExplainer()
    with reader(engine) as conn, conn.begin():
        rows = conn.execute(select_entries(kinds=RELEVANT_KINDS))
        explainer.feed(to_entry(StoredRow._make(row)) for row in rows)
    return explainer.report()
