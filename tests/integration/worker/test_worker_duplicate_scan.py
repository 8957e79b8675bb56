"""A scan delivered twice to a real worker over a real redis-server (the same task id sent
again, as a redelivering parent or an overlapping second beat does): both deliveries
succeed, the second answers ``status: duplicate`` and journals nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.integration.worker.kit import Cluster, RedisServer, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.worker_processes]

START = 120.0  # a cold worker imports LangGraph and LiteLLM on a busy 2-CPU host


def _outcomes(c: Cluster, key: str) -> list[str]:
    pattern = re.compile(rf"Task quorum\.scan\[{re.escape(key)}\] succeeded[^\n]*'status': '(\w+)'")
    return pattern.findall(c.log("worker-scan.log"))


def test_a_scan_delivered_twice_succeeds_twice_and_the_second_is_a_visible_no_op(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    c = Cluster(tmp_path, redis_server.url)
    try:
        c.worker("scan", "scan@test")
        key = c.submit_trade_scan()
        wait_until("the first delivery", lambda: _outcomes(c, key), START)
        scans = c.rows("SELECT count(*) FROM journal_entries WHERE kind = 'scan'")[0][0]
        assert c.submit_trade_scan() == key  # the same task id again
        wait_until("the second delivery", lambda: len(_outcomes(c, key)) == 2, START)

        assert _outcomes(c, key) == ["done", "duplicate"]
        assert "duplicate scan delivery ETH/USDT 15m" in c.log("worker-scan.log")
        assert c.rows("SELECT count(*) FROM journal_entries WHERE kind = 'scan'")[0][0] == scans
        assert c.rows("SELECT count(*) FROM pipeline_task_runs WHERE task = 'scan'")[0][0] == 1
    except AssertionError:
        print(c.logs())
        raise
    finally:
        c.close()
