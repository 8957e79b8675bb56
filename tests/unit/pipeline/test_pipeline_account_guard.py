"""The account guard's live input (seed rule 010, ``account.can_trade``; issue #18 item 6).

A venue that refuses our credentials (the paper transport's ``auth_failed`` fault, as
ccxt's ``AuthenticationError`` is translated to ``BrokerAuthFailed``) turns the rules
state's ``account_can_trade`` off when the account is checked (``reconcile``, ``sweep``,
or an ``execute`` the venue rejected), journaled; new entries are then refused and the
monitor closes positions under ``account.can_trade``; a later successful check turns it
back on. Before, nothing called ``set_account_can_trade`` and every analysis here traded.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.unit.pipeline.kit import Kit, make_kit

from quorum.domain import format_time
from quorum.execution.paper import InProcessPaperBroker
from quorum.store import session_scope

SYMBOL = "BTC/USDT"


def _as_of(kit: Kit) -> str:
    return format_time(kit.clock.now().replace(second=0))


def _auth_fails(kit: Kit, failed: bool) -> None:
    broker = kit.tasks.deps.execution.executor.ctx.brokers["paper"].inner
    assert isinstance(broker, InProcessPaperBroker)
    broker.faults.set_auth_failed(failed)


def _changes(kit: Kit) -> list[str]:
    with session_scope(kit.tasks.deps.engine) as session:
        rows = session.execute(text("SELECT payload FROM journal_entries")).all()
    return [str(r[0]) for r in rows if "account_trading_changed" in str(r[0])]


def test_refused_credentials_refuse_entries_until_a_later_check_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        _auth_fails(kit, True)
        assert kit.tasks.reconcile()["account_can_trade"] is False
        assert len(_changes(kit)) == 1
        refused = kit.tasks.analyze(SYMBOL, _as_of(kit), "15m")
        assert refused["status"] == "rejected", refused
        assert refused["rule"] == "account.can_trade"
        _auth_fails(kit, False)
        assert kit.tasks.sweep()["account_can_trade"] is True
        assert len(_changes(kit)) == 2
        kit.clock.set(kit.clock.now() + timedelta(minutes=15))
        approved = kit.tasks.analyze(SYMBOL, _as_of(kit), "15m")
        assert approved["status"] == "approved", approved
    finally:
        kit.close()


def test_a_rejected_execute_checks_the_account_and_the_monitor_closes_positions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A position is open; the API key loses its trading permission: the next entry's send
    is rejected, the check that follows turns trading off, and the monitor's pass closes
    the position under ``account.can_trade``."""
    monkeypatch.chdir(tmp_path)
    room = {"risk": {"portfolio": {"max_total_exposure_fraction": "0.5"}}}
    kit = make_kit(pipeline={"symbols": ("BTC/USDT", "ETH/USDT")}, sections=room)
    try:
        entry = kit.tasks.analyze(SYMBOL, _as_of(kit), "15m")
        assert entry["status"] == "approved", entry
        assert kit.tasks.execute(entry["client_order_id"])["status"] == "filled"
        assert kit.tasks.monitor()["trades"]["opened"] == 1
        other = kit.tasks.analyze("ETH/USDT", _as_of(kit), "15m")
        assert other["status"] == "approved", (other["rule"], other["reason"])
        _auth_fails(kit, True)
        assert kit.tasks.execute(other["client_order_id"])["status"] == "rejected"
        assert len(_changes(kit)) == 1
        actions = kit.tasks.monitor()["actions"]
        closes = [a for a in actions if a["kind"] == "close_position"]
        assert [a["rule"] for a in closes] == ["account.can_trade"], actions
    finally:
        kit.close()
