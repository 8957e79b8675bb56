"""``quorum execution``: orders, reconciliation and the strategy throttle."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from apps.cli.commands.execution import app as execution_app
from apps.cli.commands.journal import app as journal_app
from quorum.clock import SystemClock
from quorum.domain import OrderType, Side
from quorum.execution import PaperSettings, PaperVenue
from quorum.execution.controls import strategy_switch
from quorum.execution.paper import StoredPaperVenue
from quorum.execution.paper.binance import SIM_API_KEY, SIM_SECRET, BinanceSimulator, MarketSpec
from quorum.execution.repo import put_switch
from quorum.ports import OrderRequest
from quorum.store import create_engine_for, migrate, session_scope

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

runner = CliRunner()


def _app() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(execution_app, name="execution")
    return root


def _resting_buy(cid: str) -> OrderRequest:
    """A limit buy below the market, placed outside the system (our books lack it)."""
    return OrderRequest(
        client_order_id=cid,
        symbol="BTC/USDT",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal("0.1"),
        price=Decimal(90),
        sent_at=SystemClock().now(),
    )


def test_the_kill_switch_is_not_an_execution_subcommand() -> None:
    """One kill switch: `quorum kill-switch` moves the flag, execution and rules records."""
    result = runner.invoke(_app(), ["execution", "kill-switch", "on", "--by", "alice"])
    assert result.exit_code != 0
    assert "No such command" in result.output


def test_orders_lists_json(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'q.db'}"
    result = runner.invoke(_app(), ["execution", "orders", "--json", "--db", db])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []


def test_a_cli_append_goes_through_the_checkpointing_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #19 item 4: `quorum execution` built a Journal without signer or store, so its
    entries were never checkpointed; it now uses the one checkpointing journal."""
    monkeypatch.chdir(tmp_path)
    db = f"sqlite:///{tmp_path / 'q.db'}"
    engine = create_engine_for(db)
    migrate(engine)
    with session_scope(engine) as session:
        put_switch(session, strategy_switch("confluence"), True, "throttle", "losses", NOW)
    engine.dispose()

    enabled = runner.invoke(
        _app(), ["execution", "enable-strategy", "confluence", "--by", "alice", "--db", db]
    )
    verified = CliRunner().invoke(journal_app, ["verify", "--db", db, "--json"])

    assert enabled.exit_code == 0, enabled.output
    report = json.loads(verified.stdout)
    assert verified.exit_code == 0, report
    assert (report["count"], report["latest_checkpoint_size"]) == (1, 1)


def test_reconcile_reaches_the_venue_simulator_through_binances_protocol(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, allow_loopback_orders: None
) -> None:
    """Issue #20: one venue simulator. `--venue URL` is the paper venue behind Binance's
    REST protocol, reached through ccxt like a live venue: an order resting there that our
    books lack is adopted, and the simulator served the requests."""
    monkeypatch.chdir(tmp_path)
    clock = SystemClock()
    venue = PaperVenue(clock, PaperSettings(amount_step=Decimal("0.00001")))
    venue.set_quote("BTC/USDT", Decimal(100), Decimal("100.1"))
    venue.submit(_resting_buy("manual-1"))
    sim = BinanceSimulator(
        venue, [MarketSpec("BTC/USDT")], clock=clock, api_key=SIM_API_KEY, secret=SIM_SECRET
    ).start()
    db = f"sqlite:///{tmp_path / 'q.db'}"
    try:
        result = runner.invoke(
            _app(), ["execution", "reconcile", "--venue", sim.url, "--db", db, "--json"]
        )
    finally:
        sim.stop()

    assert result.exit_code == 0, result.output
    adopted = [d for d in json.loads(result.output) if d["event"] == "adopted_external_order"]
    assert [(d["client_order_id"], d["symbol"], Decimal(d["quantity"])) for d in adopted] == [
        ("manual-1", "BTC/USDT", Decimal("0.1"))
    ]
    assert sim.stats.requests > 0


def test_reconcile_without_a_venue_reconciles_the_configured_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runbooks say `quorum execution reconcile` (no --venue): it refused with
    "--venue: required" and could not reach the deployment's venues. Without --venue it
    reconciles what the pipeline trades on — the paper venue stored in the database (and
    the live exchange when one is configured): an order resting there that our books lack
    is adopted."""
    monkeypatch.chdir(tmp_path)
    db = f"sqlite:///{tmp_path / 'q.db'}"
    engine = create_engine_for(db)
    migrate(engine)
    venue = StoredPaperVenue(engine, SystemClock(), PaperSettings(), name="paper")
    venue.set_quote("BTC/USDT", Decimal(100), Decimal("100.1"))
    venue.submit(_resting_buy("manual-2"))
    engine.dispose()

    result = runner.invoke(_app(), ["execution", "reconcile", "--db", db, "--json"])

    assert result.exit_code == 0, result.output
    adopted = [d for d in json.loads(result.output) if d["event"] == "adopted_external_order"]
    assert [(d["venue"], d["client_order_id"]) for d in adopted] == [("paper", "manual-2")]
