"""The analysis budget on a real PostgreSQL (issue #23 item 4): two workers scanning the same
cycle at once cannot both take its last analysis — the second's conditional increment
waits for the first's transaction and then finds the budget spent."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.unit.pipeline.kit import make_kit

from quorum.pipeline.budget import take
from quorum.store import session_scope


def test_concurrent_scans_of_one_cycle_cannot_overspend_it_on_postgres(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run_id = f"pg-{uuid.uuid4().hex[:12]}"
    kit = make_kit(postgres_url, run_id=run_id)
    engine = kit.runtime.engine
    bucket = "cycle:2025-01-01T06:00:00Z"
    second: list[bool] = []

    def other_worker() -> None:
        with session_scope(engine) as session:
            second.append(take(session, run_id, bucket, 2))

    try:
        with session_scope(engine) as session:  # an earlier scan of the cycle: row exists
            assert take(session, run_id, bucket, 2)
        with session_scope(engine) as session:
            assert take(session, run_id, bucket, 2)
            worker = threading.Thread(target=other_worker)
            worker.start()
            worker.join(timeout=1.0)
            assert worker.is_alive(), "the other worker waits for this transaction"
        worker.join(timeout=10.0)
        assert second == [False], "the cycle's last analysis is taken"
        with engine.connect() as conn:
            used = conn.execute(
                text("SELECT used FROM pipeline_analysis_budget WHERE run_id = :r"),
                {"r": run_id},
            ).scalar_one()
        assert used == 2
    finally:
        kit.close()
