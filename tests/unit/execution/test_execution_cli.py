"""``quorum execution``: orders, reconciliation and the strategy throttle."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from apps.cli.commands.execution import app as execution_app
from apps.cli.commands.journal import app as journal_app
from quorum.execution.controls import strategy_switch
from quorum.execution.repo import put_switch
from quorum.store import create_engine_for, migrate, session_scope

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

runner = CliRunner()


def _app() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(execution_app, name="execution")
    return root


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
