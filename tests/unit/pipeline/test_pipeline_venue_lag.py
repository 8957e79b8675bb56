"""Exactly-once when the venue's read path lags, through the pipeline's task bodies.

Issue #18 item 4: with 2 s of lookup lag and a 1 s receive window, an ambiguous submit
was looked up just after its deadline, not found (not indexed yet) and resent — a
duplicate. A venue without a receive window made "not found" look conclusive too.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from tests.unit.pipeline.kit import Kit, drain, open_position, scripted_kit

from quorum.domain import (
    JournalKind,
    OrderIntent,
    OrderLeg,
    OrderState,
    OrderType,
    RiskDecision,
    Side,
    Verdict,
)
from quorum.execution import UNKNOWN_RULE, FaultSettings
from quorum.store import session_scope

NO_SPACING = {"resolve_spacing_s": 0.0}


def _lagging(kit: Kit, *, window: bool = True) -> None:
    kit.venue.settings = kit.venue.settings.model_copy(
        update={"recv_window_s": 1.0, "query_lag_s": 2.0, "enforce_recv_window": window}
    )
    kit.venue.set_faults(FaultSettings(ambiguous_probability=1.0))  # accepted, reply lost


def _sample(name: str, venue: str = "paper") -> float:
    return REGISTRY.get_sample_value(name, {"venue": venue}) or 0.0


def test_an_ambiguous_submit_under_two_seconds_of_lookup_lag_is_found_not_resent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with scripted_kit(execution=NO_SPACING) as (kit, _):
        _lagging(kit)
        cid = open_position(kit)
        kit.venue.set_faults(FaultSettings())
        states = []
        for _ in range(4):  # every 0.75 s: past the window, then past window + lag
            kit.clock.advance(timedelta(seconds=0.75))
            states.append(kit.tasks.execute(cid)["status"])

        assert kit.venue.stats.accepted[cid] == 1, "the lagging lookup led to a duplicate"
        assert states[:2] == ["unknown", "unknown"]  # deadline passed, read path not yet
        assert states[-1] == "filled"
        assert [(p.symbol, p.quantity) for p in kit.venue.positions()] == [
            ("BTC/USDT", Decimal("0.5"))
        ]


def test_without_a_receive_window_an_unknown_order_stays_unknown_and_blocks_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    alerts = _sample("quorum_execution_unknown_inconclusive_total")
    with scripted_kit(execution=NO_SPACING) as (kit, _):
        _lagging(kit, window=False)
        cid = open_position(kit)
        kit.venue.set_faults(FaultSettings())
        kit.clock.advance(timedelta(seconds=1.5))  # past the window: still never conclusive
        still = kit.tasks.execute(cid)
        blocked_cid = open_position(kit, "0.1")
        blocked = kit.tasks.deps.execution.order(blocked_cid)

        kit.clock.advance(timedelta(seconds=1))  # the venue has indexed it now
        kit.tasks.reconcile()
        resolved = kit.tasks.deps.execution.order(cid)
        released_cid = open_position(kit, "0.2")
        released = kit.tasks.deps.execution.order(released_cid)

    assert still["status"] == "unknown"
    assert kit.venue.stats.accepted[cid] == 1
    assert _sample("quorum_execution_unknown_inconclusive_total") == alerts + 1
    entries = kit.runtime.journal.read(kinds=[JournalKind.ORDER_UPDATE])
    flagged = [e.payload for e in entries if e.payload.get("event") == "unknown_inconclusive"]
    assert [p["client_order_id"] for p in flagged] == [cid]
    assert "no receive window" in flagged[0]["reason"]
    assert blocked.state is OrderState.CANCELLED
    assert blocked.last_error is not None
    assert UNKNOWN_RULE in blocked.last_error
    assert resolved.state is OrderState.FILLED
    assert released.state is OrderState.FILLED


def test_a_request_that_never_arrived_is_never_resent_where_not_found_cannot_be_conclusive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with scripted_kit(execution=NO_SPACING) as (kit, _):
        _lagging(kit, window=False)
        kit.venue.set_faults(FaultSettings())
        faults = kit.tasks.deps.execution.ctx.broker("paper").inner.faults  # type: ignore[attr-defined]
        faults.set_down(True)  # the submit never reaches the venue
        cid = open_position(kit)
        faults.set_down(False)
        for _ in range(5):
            kit.clock.advance(timedelta(seconds=30))
            kit.tasks.execute(cid)
            kit.tasks.sweep()
            drain(kit)

        assert kit.tasks.deps.execution.order(cid).state is OrderState.UNKNOWN
        assert kit.venue.stats.submits == 0
        assert kit.venue.positions() == []


def _resting_buy(kit: Kit, price: str) -> str:
    deps = kit.tasks.deps
    now = kit.clock.now()
    intent = OrderIntent(
        run_id=deps.run_id,
        strategy="test",
        symbol="BTC/USDT",
        signal_time=now,
        side=Side.BUY,
        leg=OrderLeg.ENTRY,
        order_type=OrderType.LIMIT,
        quantity=Decimal("0.5"),
        price=Decimal(price),
    )
    decision = RiskDecision(
        symbol="BTC/USDT", as_of=now, verdict=Verdict.APPROVED, quantity=Decimal("0.5")
    )
    with session_scope(deps.engine) as session:
        assert deps.execution.store_intent(session, intent, decision).status == "stored"
    kit.tasks.execute(intent.client_order_id)
    return intent.client_order_id


def test_reconciliation_never_cancels_an_order_the_lagging_venue_has_not_indexed_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with scripted_kit(execution=NO_SPACING) as (kit, _):
        _lagging(kit)
        kit.venue.set_faults(FaultSettings())
        cid = _resting_buy(kit, "95")
        kit.venue.set_quote("BTC/USDT", Decimal("93.5"), Decimal("94.5"))  # it fills: closed
        kit.clock.advance(timedelta(seconds=0.5))
        kit.tasks.reconcile()  # not among open orders, and not visible to lookups yet
        early = kit.tasks.deps.execution.order(cid)
        kit.clock.advance(timedelta(seconds=3))
        kit.tasks.reconcile()
        late = kit.tasks.deps.execution.order(cid)
        ours = {p.symbol: p.quantity for p in kit.tasks.deps.execution.positions()}

    assert early.state is not OrderState.CANCELLED, "cancelled on a lagging 'not found'"
    assert late.state is OrderState.FILLED
    assert late.filled_quantity == Decimal("0.5")
    assert ours == {"BTC/USDT": Decimal("0.5")}


def test_a_stale_entry_is_not_expired_on_a_not_found_the_lagging_venue_still_owes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = {**NO_SPACING, "max_intent_age": {"15m": 1}}
    with scripted_kit(execution=settings) as (kit, _):
        _lagging(kit)
        cid = open_position(kit)  # accepted, its reply lost
        kit.venue.set_faults(FaultSettings())
        kit.clock.advance(timedelta(seconds=1.5))  # stale, past the window, not the lag
        early = kit.tasks.execute(cid)["status"]
        kit.clock.advance(timedelta(seconds=2))
        late = kit.tasks.execute(cid)["status"]
        ours = {p.symbol: p.quantity for p in kit.tasks.deps.execution.positions()}

    assert early == "unknown", "expired although the venue had it"
    assert late == "filled"
    assert ours == {"BTC/USDT": Decimal("0.5")}
