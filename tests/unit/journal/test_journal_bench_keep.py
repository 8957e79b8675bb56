"""`quorum bench journal`: a small run reports like-for-like ratios and caller paths, and
``--keep`` leaves a database that `quorum journal verify` accepts and whose tampering it
detects."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.journal import run
from tests.unit.journal.journal_kit import tamper
from typer.testing import CliRunner

from apps.cli.commands.journal import app as journal_app
from quorum.store import create_engine_for


def test_small_bench_run_keeps_a_verifiable_database_and_names_every_path(
    tmp_path: Path,
) -> None:
    kept = tmp_path / "bench.db"

    report = run(entries=300, batch=50, single=30, rounds=1, keep=str(kept))

    assert set(report["ratio_to_bare"]) == {
        "durable_appends_per_s",
        "batched_appends_per_s",
        "verify_entries_per_s",
    }
    assert set(report["caller_paths"]) == {
        "durable_appends_per_s_engine_begin",
        "durable_appends_per_s_session",
        "batched_appends_per_s_session_append",
        "batched_appends_per_s_session_append_many",
    }
    assert all(v["per_s"] > 0 for v in report["caller_paths"].values())
    assert set(report["caller_transaction_floor"]) == {
        "session_transaction_us",
        "connection_transaction_us",
        "held_connection_transaction_us",
    }
    # warm-up 100 + per round: 30 × 3 single paths + 300 × 3 batched paths
    assert report["journal"]["entries"] == 100 + 3 * 30 + 3 * 300
    paths = report["kept"]
    args = ["verify", "--db", f"sqlite:///{kept}", "--checkpoints", paths["checkpoints"]]
    args += ["--public-key", paths["public_key"], "--json"]

    intact = CliRunner().invoke(journal_app, args)
    engine = create_engine_for(f"sqlite:///{kept}")
    tamper(engine, "UPDATE journal_entries SET actor = 'mallory' WHERE seq = 250")
    engine.dispose()
    damaged = CliRunner().invoke(journal_app, args)

    assert intact.exit_code == 0, intact.stdout
    assert json.loads(intact.stdout)["count"] == 1090
    assert damaged.exit_code == 1
    assert json.loads(damaged.stdout)["first_bad_seq"] == 250
