"""`quorum run` as `make run` runs it: a subprocess in a fresh directory, then the database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

QUORUM = Path(sys.executable).with_name("quorum")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUORUM_")}
    env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    return env


def test_quorum_run_defaults_trade_and_the_summary_matches_the_database(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(QUORUM), "run", "--json"],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    run_id = summary["run_id"]
    assert summary["verdicts"].get("approved", 0) >= 1
    assert summary["fills"] >= 1
    database = tmp_path / summary["database"].removeprefix("sqlite:///")
    assert database.parent == tmp_path / "var" / "runs"  # each run is its own account
    with sqlite3.connect(database) as db:
        orders = db.execute("SELECT count(*) FROM execution_orders WHERE run_id = ?", (run_id,))
        fills = db.execute(
            "SELECT count(*) FROM execution_fills WHERE client_order_id IN "
            "(SELECT client_order_id FROM execution_orders WHERE run_id = ?)",
            (run_id,),
        )
        signals = db.execute("SELECT count(*) FROM pipeline_signals WHERE run_id = ?", (run_id,))
        entries = db.execute("SELECT count(*) FROM journal_entries WHERE run_id = ?", (run_id,))
        n_orders, n_fills = orders.fetchone()[0], fills.fetchone()[0]
        n_signals, n_entries = signals.fetchone()[0], entries.fetchone()[0]
    assert n_orders == summary["orders"]["total"]
    assert n_fills == summary["fills"]
    assert n_signals == summary["signals"]
    assert n_entries == summary["journal"]["appended"]
    journal = summary["journal"]
    command = journal["verify_command"].split()
    assert command[:3] == ["quorum", "journal", "verify"]
    verify = subprocess.run(
        [str(QUORUM), *command[1:]],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert journal["verified"] is True
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "every one explained" in verify.stdout, verify.stdout
