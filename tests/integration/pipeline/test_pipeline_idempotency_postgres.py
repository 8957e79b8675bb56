"""The task-run idempotency and the rules-state compare-and-set on a real PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.unit.pipeline.kit import make_kit, open_position

from quorum.domain import format_time
from quorum.pipeline.accounting import RulesConflict, commit_rules, rules_state
from quorum.risk import StateUpdate
from quorum.store import session_scope


def test_redelivered_scan_and_execute_do_nothing_twice_on_postgres(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run_id = f"pg-{uuid.uuid4().hex[:12]}"
    kit = make_kit(postgres_url, run_id=run_id)
    try:
        close = format_time(kit.clock.now().replace(second=0))
        first = kit.tasks.scan("BTC/USDT", "15m", close)
        again = kit.tasks.scan("BTC/USDT", "15m", close)  # answered from the stored result
        assert again == {**first, "status": "duplicate", "first_status": first["status"]}
        with kit.runtime.engine.connect() as conn:
            runs = conn.execute(
                text("SELECT count(*) FROM pipeline_task_runs WHERE key LIKE :k"),
                {"k": f"scan:{run_id}:%"},
            ).scalar_one()
        assert runs == 1
        cid = open_position(kit)
        assert kit.tasks.execute(cid)["status"] == "filled"
        assert kit.venue.stats.accepted[cid] == 1
    finally:
        kit.close()


def test_a_stale_rules_state_write_is_refused_on_postgres(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit(postgres_url, run_id=f"pg-{uuid.uuid4().hex[:12]}")
    deps = kit.tasks.deps
    try:
        with session_scope(deps.engine) as session:
            state, version = rules_state(deps, session)
            commit_rules(deps, session, StateUpdate(state=state), version, deps.run_id)
        with pytest.raises(RulesConflict), session_scope(deps.engine) as session:
            commit_rules(deps, session, StateUpdate(state=state), version, deps.run_id)
    finally:
        kit.close()
