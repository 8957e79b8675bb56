"""`quorum bench beat --json`: two real RedBeat beats over a real redis-server. A clean
stop (SIGTERM) releases the lock, so the standby takes over well before the lock would
expire; a crash (SIGKILL) leaves the lock to expire, so the takeover waits for it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.integration.worker.kit import RedisServer
from typer.testing import CliRunner

from apps.cli.main import app

pytestmark = [pytest.mark.integration, pytest.mark.worker_processes]

LOCK_S = 10.0
LOOP_S = 1.0


def test_a_standby_beat_takes_over_at_once_after_sigterm_and_after_the_lock_after_sigkill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_server: RedisServer
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["bench", "beat", "--json", "--rounds", "1", "--redis-url", redis_server.url]
    args += ["--lock-timeout-s", str(LOCK_S), "--loop-s", str(LOOP_S)]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{") :])
    term, kill = report["sigterm"]["median_s"], report["sigkill"]["median_s"]
    assert (report["sigterm"]["runs"], report["sigkill"]["runs"]) == (1, 1)
    assert term < LOCK_S - LOOP_S, "a clean stop must release the lock, not let it expire"
    assert LOCK_S - LOOP_S - 0.5 <= kill <= LOCK_S + LOOP_S + 3, "a crash waits for the lock"
    assert report["beat_starts"] == 4  # a, b, and each stopped beat back as the standby
    assert report["beats_cpu_s"] > 0
