"""Real worker and beat processes over a real redis-server and a shared SQLite file.

Each test starts its own redis-server (the repository's ``infra/redis/redis.conf`` on a free
loopback port, so a restart or a flush cannot touch anyone else's data) and its own
workers; ``serial`` (conftest) keeps these tests from running at the same time.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from tests.integration.worker.kit import Cluster, RedisServer, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.worker_processes]

START = 90.0  # a cold worker imports LangGraph and LiteLLM: slow on a busy 2-CPU host


def cluster(tmp_path: Path, server: RedisServer, **worker_env: str) -> Cluster:
    return Cluster(tmp_path, server.url, **worker_env)


def orders(c: Cluster) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in c.rows("select client_order_id, state from execution_orders")]


def filled(c: Cluster) -> list[str]:
    return [cid for cid, state in orders(c) if state == "filled"]


def scans(c: Cluster) -> list[str]:
    return [r[0] for r in c.rows("select key from pipeline_task_runs where task = 'scan'")]


def test_beat_schedules_scans_and_a_candidate_scan_flows_to_a_filled_paper_order(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    c = cluster(tmp_path, redis_server, plan_interval_s="5", monitor_interval_s="5")
    try:
        c.worker("scan,analyze,monitor", "pipeline@test", concurrency=2)
        c.worker("execute", "execute@test", concurrency=1)
        c.beat("a")
        scheduled = wait_until("beat's plan to run scans", lambda: scans(c), START)
        assert all(key.startswith("scan:pipeline:") for key in scheduled)
        c.submit_trade_scan()
        done = wait_until("a filled paper order", lambda: filled(c), START)
        kinds = {r[0] for r in c.rows("select distinct kind from journal_entries")}
        assert {"scan", "intent", "fill"} <= {k.lower() for k in kinds}, kinds
        fills = c.rows(
            "select count(*) from execution_fills where client_order_id = :cid", cid=done[0]
        )
        assert fills[0][0] >= 1
    except AssertionError:
        print(c.logs())
        raise
    finally:
        c.close()


def test_sigkill_of_a_worker_mid_task_loses_nothing_and_duplicates_nothing(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    # A short visibility timeout so the killed worker's message comes back within the test.
    c = cluster(
        tmp_path,
        redis_server,
        plan_interval_s="5",
        visibility_timeout_s="2000",
        unacked_restore_interval_s="1",
    )
    try:
        first = c.worker("scan,analyze,monitor,execute", "victim@test", concurrency=1)
        c.beat("a")
        wait_until(
            "the first scan to start", lambda: c.rows("select 1 from journal_entries"), START
        )
        c.signal(first, signal.SIGKILL, group=True)  # the main process and its pool
        first.wait(timeout=10)
        c.worker("scan,analyze,monitor", "pipeline@test", concurrency=2)
        c.worker("execute", "execute@test", concurrency=1)
        c.submit_trade_scan()
        wait_until("a filled paper order", lambda: filled(c), START)
        ids = [cid for cid, _ in orders(c)]
        assert len(ids) == len(set(ids))
        keys = c.rows(
            "select key, count(*) from pipeline_task_runs group by key having count(*) > 1"
        )
        assert keys == []
    except AssertionError:
        print(c.logs())
        raise
    finally:
        c.close()


def test_a_second_beat_takes_over_within_the_lock_timeout(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    c = cluster(
        tmp_path,
        redis_server,
        beat_lock_timeout_s="6",
        beat_max_loop_interval_s="1",
        monitor_interval_s="1",
    )
    try:
        active = c.beat("a")
        wait_until("beat a to hold the lock", lambda: "Acquired lock" in c.log("beat-a.log"), START)
        c.beat("b")
        wait_until(
            "beat b to wait for the lock", lambda: "Acquiring lock" in c.log("beat-b.log"), START
        )
        time.sleep(2)
        assert "Acquired lock" not in c.log("beat-b.log")
        killed = time.monotonic()
        c.signal(active, signal.SIGKILL, group=True)
        wait_until("beat b to take over", lambda: "Acquired lock" in c.log("beat-b.log"), 30)
        took = time.monotonic() - killed
        assert took <= 6 + 1 + 3, f"takeover took {took:.1f} s"
        wait_until(
            "beat b to send monitor",
            lambda: "Sending due task quorum.monitor" in c.log("beat-b.log"),
            15,
        )
    except AssertionError:
        print(c.logs())
        raise
    finally:
        c.close()


def test_workers_reconnect_after_redis_restarts_and_the_run_completes(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    c = cluster(tmp_path, redis_server, plan_interval_s="5")
    try:
        c.worker("scan,analyze,monitor", "pipeline@test", concurrency=2)
        c.worker("execute", "execute@test", concurrency=1)
        wait_until(
            "both workers ready",
            lambda: (
                "ready." in c.log("worker-pipeline.log") and "ready." in c.log("worker-execute.log")
            ),
            START,
        )
        redis_server.stop()
        time.sleep(2)
        redis_server.start()  # same port, same append-only file
        c.beat("a")
        c.submit_trade_scan()
        wait_until("a filled paper order after the restart", lambda: filled(c), START)
    except AssertionError:
        print(c.logs())
        raise
    finally:
        c.close()


def test_sigterm_finishes_in_flight_work_and_a_new_worker_completes_the_run(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    c = cluster(tmp_path, redis_server, plan_interval_s="5")
    try:
        worker = c.worker("scan,analyze,monitor,execute", "all@test", concurrency=1)
        c.beat("a")
        wait_until("the first scan", lambda: c.rows("select 1 from journal_entries"), START)
        c.signal(worker, signal.SIGTERM)  # warm shutdown
        assert worker.wait(timeout=60) == 0
        assert "Warm shutdown" in c.log("worker-all.log")
        unfinished = [cid for cid, state in orders(c) if state in ("submitting", "unknown")]
        assert unfinished == []
        c.worker("scan,analyze,monitor,execute", "again@test", concurrency=2)
        c.submit_trade_scan()
        wait_until("a filled paper order", lambda: filled(c), START)
    except AssertionError:
        print(c.logs())
        raise
    finally:
        c.close()
