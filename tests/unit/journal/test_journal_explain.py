"""The explanation invariant: `quorum journal verify` names the first order placed without
its intent, signal, risk decision and opinions in the same run (issue #19 item 1).

A run that resumed another run's finished analyses placed orders whose opinions, signal
and risk decision were never journaled in its own journal; these journals are built
through the journal API the way the pipeline writes them, with one link left out.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from tests.unit.journal.journal_kit import make_journal
from typer.testing import CliRunner

from apps.cli.commands.journal import app
from quorum.domain import Direction, JournalKind, OrderLeg, derive_client_order_id
from quorum.journal import Journal, OrderExplainer, explain_orders
from quorum.store import session_scope

RUN = "run-20250101T000000Z-00aa11bb22"
OTHER = "run-20250101T000000Z-ffee99dd88"
AS_OF = datetime(2025, 1, 1, tzinfo=UTC)
SYMBOL = "BTC/USDT"
STRATEGY = "confluence"


def cid(run: str = RUN) -> str:
    return derive_client_order_id(
        run, STRATEGY, SYMBOL, AS_OF, Direction.LONG.entry_side, OrderLeg.ENTRY
    )


def _signal(run: str) -> dict[str, Any]:
    return {"run_id": run, "symbol": SYMBOL, "as_of": "2025-01-01T00:00:00Z", "direction": "long"}


def _decision(verdict: str = "approved", reason: str = "approved 1 risking 10") -> dict[str, Any]:
    return {"verdict": verdict, "quantity": "1", "reason": reason}


class Writer:
    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def add(self, kind: JournalKind, payload: dict[str, Any], run: str | None = RUN) -> int:
        actor = "execution" if run is None else "pipeline"
        with session_scope(self.journal.engine) as session:
            return self.journal.append(session, kind, payload, actor=actor, run_id=run).seq

    def opinion(self, run: str = RUN) -> None:
        opinion = {"agent": "technical", "symbol": SYMBOL, "as_of": "2025-01-01T00:00:00Z"}
        self.add(JournalKind.OPINION, {"node": "technical", "opinion": opinion}, run)

    def risk(self, run: str = RUN) -> None:
        self.add(JournalKind.RISK_DECISION, {"signal": _signal(run), "decision": _decision()}, run)

    def graph_signal(self, run: str = RUN) -> None:
        payload = {"outcome": "signal", "symbol": SYMBOL, "signal": _signal(run)}
        self.add(JournalKind.SIGNAL, payload, run)

    def rule_signal(self, run: str = RUN) -> None:
        self.add(JournalKind.SIGNAL, {"signal": _signal(run), "decision": _decision()}, run)

    def intent(self, order_id: str, leg: str = "entry", **decision: str) -> None:
        payload = {
            "status": "stored",
            "client_order_id": order_id,
            "run_id": RUN,
            "strategy": STRATEGY,
            "symbol": SYMBOL,
            "side": "buy" if leg == "entry" else "sell",
            "leg": leg,
            "decision": _decision(**decision),
        }
        self.add(JournalKind.INTENT, payload, None)

    def order(self, order_id: str) -> int:
        payload = {"client_order_id": order_id, "event": "transition", "state": "submitting"}
        seq = self.add(JournalKind.ORDER_UPDATE, payload, None)
        self.add(JournalKind.FILL, {"client_order_id": order_id, "quantity": "1"}, None)
        return seq


@pytest.fixture
def w(engine: Engine) -> Writer:
    return Writer(make_journal(engine))


def test_an_analysed_order_is_explained(w: Writer, engine: Engine) -> None:
    w.opinion()
    w.risk()
    w.graph_signal()
    w.intent(cid())
    w.order(cid())

    report = explain_orders(engine)

    assert (report.ok, report.orders_checked) == (True, 1), report.summary()


def test_a_rule_strategy_order_is_explained_by_its_signal_and_decision(w: Writer) -> None:
    w.rule_signal()
    w.intent(cid())
    w.order(cid())

    assert explain_orders(w.journal.engine).ok


def test_a_resized_decision_approves(w: Writer) -> None:
    w.rule_signal()
    w.intent(cid(), verdict="resized", reason="resized from 2 to 1 by portfolio.total_exposure")
    w.order(cid())

    assert explain_orders(w.journal.engine).ok


def test_an_exit_is_explained_by_its_approved_exit_decision(w: Writer) -> None:
    w.intent("qexit1", leg="exit", reason="kill switch flatten by pipeline")
    w.order("qexit1")

    assert explain_orders(w.journal.engine).ok


def test_an_external_order_adopted_by_reconciliation_is_explained(w: Writer) -> None:
    payload = {"event": "adopted_external_order", "client_order_id": "xP77", "symbol": SYMBOL}
    w.add(JournalKind.RECONCILIATION, payload, None)
    w.order("xP77")

    assert explain_orders(w.journal.engine).ok


def test_an_order_of_a_resumed_analysis_with_nothing_journaled_is_named(w: Writer) -> None:
    """The defect of issue #19: orders and fills, no opinion, signal or risk decision."""
    w.intent(cid())
    seq = w.order(cid())

    found = explain_orders(w.journal.engine).first_unexplained

    assert found is not None
    assert (found.seq, found.client_order_id, found.missing) == (seq, cid(), "signal")
    assert found.run_id == RUN


def test_the_signal_of_another_run_does_not_explain_an_order(w: Writer) -> None:
    w.opinion(OTHER)
    w.risk(OTHER)
    w.graph_signal(OTHER)
    w.intent(cid())
    w.order(cid())

    found = explain_orders(w.journal.engine).first_unexplained

    assert found is not None
    assert found.missing == "signal"


@pytest.mark.parametrize(("skip", "missing"), [("risk", "risk_decision"), ("opinion", "opinion")])
def test_an_analysis_signal_needs_its_risk_decision_and_opinions(
    w: Writer, skip: str, missing: str
) -> None:
    if skip != "opinion":
        w.opinion()
    if skip != "risk":
        w.risk()
    w.graph_signal()
    w.intent(cid())
    w.order(cid())

    found = explain_orders(w.journal.engine).first_unexplained

    assert found is not None
    assert found.missing == missing


def test_explanations_must_come_before_the_order(w: Writer) -> None:
    w.intent(cid())
    w.order(cid())
    w.opinion()
    w.risk()
    w.graph_signal()

    assert not explain_orders(w.journal.engine).ok


def test_an_order_without_an_intent_and_an_unapproved_exit_are_named(w: Writer) -> None:
    w.intent("qexit2", leg="exit", verdict="rejected")
    first = w.order("qnointent")
    w.order("qexit2")

    report = explain_orders(w.journal.engine)

    assert report.orders_checked == 2
    assert report.first_unexplained is not None
    assert (report.first_unexplained.seq, report.first_unexplained.missing) == (first, "intent")
    explainer = OrderExplainer()
    explainer.feed(e for e in w.journal.read() if e.seq not in (first, first + 1))
    late = explainer.report().first_unexplained
    assert late is not None
    assert late.missing == "approved decision"


def test_verify_reports_the_first_unexplained_order_and_exits_1(w: Writer, tmp_path: Path) -> None:
    w.opinion()
    w.risk()
    w.graph_signal()
    w.intent(cid())
    w.order(cid())
    w.intent(cid(OTHER))
    seq = w.order(cid(OTHER))
    db = f"sqlite:///{tmp_path / 'journal.db'}"

    result = CliRunner().invoke(app, ["verify", "--db", db, "--no-checkpoints"])
    as_json = CliRunner().invoke(app, ["verify", "--db", db, "--no-checkpoints", "--json"])
    skipped = CliRunner().invoke(app, ["verify", "--db", db, "--no-checkpoints", "--no-explain"])

    assert result.exit_code == 1, result.output
    assert "journal intact" in result.output
    assert f"unexplained order {cid(OTHER)} at seq {seq}" in result.output
    assert "missing signal" in result.output
    explanation = json.loads(as_json.stdout)["explanation"]
    assert as_json.exit_code == 1
    assert explanation["first_unexplained"]["seq"] == seq
    assert explanation["first_unexplained"]["client_order_id"] == cid(OTHER)
    assert skipped.exit_code == 0
