"""The cost ledger: batched writes, spend reports, and the statistics seeded from it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Engine

from quorum.clock import ReplayClock
from quorum.llm import CallRecord, LedgerWriter, StatsBoard, recent_calls, spend_by

ROW = CallRecord(
    time="2025-03-01T12:00:00+00:00",
    day="2025-03-01",
    node="technical",
    role="fast",
    symbol="BTC/USDT",
    run_id="r1",
    policy="cost_aware",
    model="mini",
    provider="openai",
    why="cost_aware: mini is the cheapest",
    fallbacks="",
    latency_ms=200.0,
    input_tokens=1000,
    output_tokens=100,
    cost_nano=210_000,
    cache_hit=False,
    outcome="ok",
    prompt_version="technical/1",
    schema_version="analyst-answer/1",
    repairs=0,
)


def test_rows_are_written_in_batches_and_on_flush(engine: Engine, clock: ReplayClock) -> None:
    writer = LedgerWriter(engine, clock, batch=3, flush_s=60)
    writer.write(ROW)
    writer.write(ROW)
    assert recent_calls(engine, 10) == []

    writer.write(ROW)
    assert len(recent_calls(engine, 10)) == 3

    writer.write(ROW)
    clock.advance(timedelta(seconds=61))
    writer.write(ROW)
    assert writer.pending == 0
    assert recent_calls(engine, 10)[0] == ROW


def test_spend_by_day_is_in_day_order_and_sums_exactly(engine: Engine, clock: ReplayClock) -> None:
    writer = LedgerWriter(engine, clock, batch=100)
    writer.write(replace(ROW, day="2025-03-02"))
    writer.write(ROW)
    writer.write(replace(ROW, cost_nano=1, cache_hit=True))
    writer.close()

    rows = spend_by(engine, "day")

    assert [(r.key, r.calls, r.cost_usd) for r in rows] == [
        ("2025-03-01", 2, Decimal("0.000210001")),
        ("2025-03-02", 1, Decimal("0.00021")),
    ]
    assert rows[0].cache_hits == 1
    assert [r.key for r in spend_by(engine, "day", since_day="2025-03-02")] == ["2025-03-02"]


def test_statistics_are_seeded_from_the_ledger() -> None:
    stats = StatsBoard()

    stats.seed([ROW, replace(ROW, model="big", fallbacks="mini", latency_ms=900.0)])

    mini, big = stats.get("mini"), stats.get("big")
    assert (mini.calls, mini.error_rate) == (2, 0.5)
    assert mini.p95_latency_s == 0.2
    assert big.p95_latency_s == 0.9


def test_statistics_are_seeded_from_per_call_rows() -> None:
    """A request's failed call is a row of its own: it counts once, not once per row."""
    stats = StatsBoard()
    failed = replace(ROW, request_id="r1", outcome="failed", model="mini", fallbacks="mini")
    answered = replace(ROW, request_id="r1", model="big", fallbacks="mini", latency_ms=900.0)

    stats.seed([failed, answered])

    mini, big = stats.get("mini"), stats.get("big")
    assert (mini.calls, mini.error_rate) == (1, 1.0)
    assert (big.calls, big.error_rate) == (1, 0.0)
