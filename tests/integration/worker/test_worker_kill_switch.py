"""The kill switch in the Celery topology: a command whose process cannot reach the venue
moves the one trading state and nudges the workers; a real ``celery worker`` process's
monitor flattens every position and halts (the scenario `quorum bench execution` times)."""

from __future__ import annotations

import pytest
from benchmarks.killswitch import celery

pytestmark = [pytest.mark.integration, pytest.mark.worker_processes]


def test_a_real_worker_flattens_and_halts_what_the_command_could_not_reach(
    clean_redis: str,
) -> None:
    result = celery(clean_redis, positions=2)

    assert result["positions"] == 2
    assert result["state_after_command"] == "reducing"  # the command flattened nothing
    assert result["failures_reported"] >= 1  # and said so
    assert result["time_to_block_s"] is not None
    assert result["time_to_flat_s"] is not None, result.get("worker_log_tail")
    assert result["trading_state_at_end"] == "halted"
