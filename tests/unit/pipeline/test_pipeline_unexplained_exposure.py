"""Reconciliation never adopts unexplained venue exposure silently (issue #18 item 4).

A duplicate of one of our orders fills at the venue (the same client id, reused once the
first was closed): the venue holds more than every fill we can attribute explains. The
``reconcile`` task journals ``duplicate_exposure``, counts it, and — by default — flattens
the excess with a reduce-only exit that passed the exit risk gate.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from tests.unit.pipeline.kit import Kit, open_position, scripted_kit

from quorum.domain import JournalKind, OrderState, OrderType, Side
from quorum.execution import FLATTEN_RULE, unexplained_excess
from quorum.ports import OrderRequest

SYMBOL = "BTC/USDT"


def _duplicate_at_venue(kit: Kit, cid: str) -> None:
    """What a blind resend did: the same client id again, after the first one closed."""
    kit.venue.submit(
        OrderRequest(
            client_order_id=cid,
            symbol=SYMBOL,
            side=Side.BUY,
            order_type=OrderType.MARKET,
            quantity=Decimal("0.5"),
            sent_at=kit.clock.now(),
        )
    )


def _exposure_entries(kit: Kit) -> list[dict[str, object]]:
    entries = kit.runtime.journal.read(kinds=[JournalKind.RECONCILIATION])
    return [e.payload for e in entries if e.payload.get("event") == "duplicate_exposure"]


def _alerts() -> float:
    labels = {"venue": "paper", "symbol": SYMBOL}
    return REGISTRY.get_sample_value("quorum_execution_unexplained_exposure_total", labels) or 0


def test_a_duplicate_fill_is_journaled_alerted_and_flattened_through_the_exit_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before = _alerts()
    with scripted_kit() as (kit, _):
        cid = open_position(kit)
        _duplicate_at_venue(kit, cid)

        kit.tasks.reconcile()
        again = kit.tasks.reconcile()

        (entry,) = _exposure_entries(kit)
        flatten = kit.tasks.deps.execution.order(str(entry["client_order_id"]))
        ours = {p.symbol: p.quantity for p in kit.tasks.deps.execution.positions()}
        venue = {p.symbol: p.quantity for p in kit.venue.positions()}

    assert _alerts() == before + 1
    assert entry["ours"] == "0.5"
    assert entry["venue_quantity"] == "1.0"
    assert entry["excess"] == "0.5"
    assert entry["action"] == "flatten stored"
    assert flatten.reduce_only
    assert flatten.side is Side.SELL
    assert flatten.quantity == Decimal("0.5")
    assert flatten.state is OrderState.FILLED
    intents = kit.runtime.journal.read(kinds=[JournalKind.INTENT])
    cid_of = flatten.client_order_id
    stored = [e.payload for e in intents if e.payload.get("client_order_id") == cid_of]
    assert stored
    assert stored[0]["status"] == "stored"
    assert ours == venue == {SYMBOL: Decimal("0.5")}
    assert again["status"] == "done"  # the second pass found no new exposure: one entry


def test_with_flatten_off_the_exposure_is_journaled_and_alerted_never_silent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before = _alerts()
    with scripted_kit(execution={"flatten_unexplained": False}) as (kit, _):
        cid = open_position(kit)
        _duplicate_at_venue(kit, cid)

        kit.tasks.reconcile()

        (entry,) = _exposure_entries(kit)
        ours = {p.symbol: p.quantity for p in kit.tasks.deps.execution.positions()}
        orders = kit.tasks.deps.execution.orders()

    assert _alerts() == before + 1
    assert "journaled only" in str(entry["action"])
    assert ours == {SYMBOL: Decimal("1.0")}
    assert [o.client_order_id for o in orders] == [cid]


@pytest.mark.parametrize(
    ("ours", "venue", "excess"),
    [("0.5", "1.0", "0.5"), ("0", "-2", "2"), ("1", "-1", "1"), ("1", "0.5", "0"), ("1", "0", "0")],
)
def test_excess_is_what_the_venue_holds_beyond_our_position(
    ours: str, venue: str, excess: str
) -> None:
    assert unexplained_excess(Decimal(ours), Decimal(venue)) == Decimal(excess)
    assert FLATTEN_RULE == "execution.flatten_unexplained"
