"""Policies rank the role's models from live accuracy, cost and latency, and say why."""

from __future__ import annotations

from tests.unit.llm.llm_kit import model, settings

from quorum.clock import ReplayClock
from quorum.llm import AccuracyBoard, ModelRegistry, StatsBoard
from quorum.llm.policies import PolicyInputs, rank
from quorum.llm.stats import Sample

MODELS = [
    model("cheap", accuracy=0.55, price=("0.10", "0.40")),
    model("mid", accuracy=0.65, price=("0.50", "1.50")),
    model("best", accuracy=0.80, price=("3.00", "15.00")),
]


def _inputs(
    clock: ReplayClock, stats: StatsBoard | None = None, floor: float = 0.6
) -> PolicyInputs:
    registry = ModelRegistry.build(settings(MODELS), None)
    accuracy = AccuracyBoard({m.name: m.accuracy for m in registry}, clock)
    return PolicyInputs(stats or StatsBoard(), accuracy, floor, 1000, 5.0)


def _models() -> list:  # type: ignore[type-arg]
    return ModelRegistry.build(settings(MODELS), None).candidates("fast")


def test_accuracy_first_puts_the_most_accurate_model_first(clock: ReplayClock) -> None:
    choice = rank("accuracy_first", _models(), _inputs(clock))

    assert [m.name for m in choice.chain] == ["best", "mid", "cheap"]
    assert "best has the best accuracy 0.80" in choice.why


def test_cost_aware_takes_the_cheapest_model_above_the_floor(clock: ReplayClock) -> None:
    choice = rank("cost_aware", _models(), _inputs(clock, floor=0.6))

    assert [m.name for m in choice.chain] == ["mid", "best"]
    assert "mid is the cheapest" in choice.why
    assert ">= 0.60" in choice.why


def test_cost_aware_without_any_model_above_the_floor_goes_most_accurate_first(
    clock: ReplayClock,
) -> None:
    choice = rank("cost_aware", _models(), _inputs(clock, floor=0.95))

    assert choice.chain[0].name == "best"
    assert "no model reaches accuracy 0.95" in choice.why


def test_accuracy_updates_from_the_scoring_stage_change_the_ranking(clock: ReplayClock) -> None:
    inputs = _inputs(clock)
    inputs.accuracy.update("cheap", 0.9)

    assert rank("accuracy_first", _models(), inputs).chain[0].name == "cheap"


def test_latency_aware_prefers_the_lowest_recent_p95(clock: ReplayClock) -> None:
    stats = StatsBoard(window=50)
    for _ in range(20):
        stats.record("cheap", Sample(True, 2.0, 10, 50))
        stats.record("mid", Sample(True, 0.3, 10, 50))
        stats.record("best", Sample(True, 0.2, 10, 50))
    stats.record("mid", Sample(True, 0.4, 10, 50))
    for _ in range(30):
        stats.record("best", Sample(False, None, 0, 0))

    choice = rank("latency_aware", _models(), _inputs(clock, stats))

    assert [m.name for m in choice.chain] == ["mid", "cheap", "best"]
    assert "mid has the lowest p95 latency 0.300s" in choice.why


def test_latency_aware_explores_models_with_little_history_fewest_calls_first(
    clock: ReplayClock,
) -> None:
    stats = StatsBoard(window=50)
    for _ in range(20):
        stats.record("mid", Sample(True, 0.1, 10, 50))
    for _ in range(3):
        stats.record("best", Sample(True, 9.0, 10, 50))  # slow so far, but only 3 calls

    choice = rank("latency_aware", _models(), _inputs(clock, stats))

    assert [m.name for m in choice.chain] == ["cheap", "best", "mid"]
    assert "exploring cheap (0 of 5 calls" in choice.why


def test_ledger_cost_history_drives_cost_aware_once_there_is_enough(clock: ReplayClock) -> None:
    stats = StatsBoard()
    for _ in range(10):
        stats.record("best", Sample(True, 0.5, 1, 5))

    choice = rank("cost_aware", _models(), _inputs(clock, stats))

    assert choice.chain[0].name == "best"
