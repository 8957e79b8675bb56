"""Walk-forward folds: ``TRAIN:TEST[:STEP]`` plans and the rolling windows they give.

Fold k (from 1) trains on ``[start + (k-1)·step, … + train)`` and tests on the ``test``
that follows; ``step`` defaults to ``test`` and may not be shorter (test windows never
overlap); a tail shorter than one more fold is left out. Pure: values in, values out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from quorum.domain import Timeframe
from quorum.errors import ValidationFailed

__all__ = ["MAX_FOLDS", "Fold", "WindowPlan", "label", "make_folds", "parse_duration", "parse_plan"]

MAX_FOLDS = 500
_UNITS = {
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
_DURATION = re.compile(r"^(\d{1,6})([mhdw])$")


def parse_duration(text: str, field: str) -> timedelta:
    """``90m`` | ``12h`` | ``30d`` | ``2w`` → a positive timedelta."""
    match = _DURATION.match(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise ValidationFailed(field, "expected a positive duration like 90m, 12h, 30d or 2w", text)
    return int(match.group(1)) * _UNITS[match.group(2)]


def label(delta: timedelta) -> str:
    """The duration in the largest unit that divides it: ``30d``, ``36h``, ``90m``."""
    for suffix in ("w", "d", "h", "m"):
        unit = _UNITS[suffix]
        if delta % unit == timedelta(0):
            return f"{delta // unit}{suffix}"
    return f"{delta.total_seconds():g}s"


@dataclass(frozen=True, slots=True)
class WindowPlan:
    """Train length, test length and step between folds (``step`` ≥ ``test``)."""

    train: timedelta
    test: timedelta
    step: timedelta

    @property
    def text(self) -> str:
        return f"{label(self.train)}:{label(self.test)}:{label(self.step)}"


def parse_plan(text: str) -> WindowPlan:
    """``TRAIN:TEST[:STEP]`` (e.g. ``30d:7d``; STEP defaults to TEST)."""
    parts = text.strip().split(":")
    if len(parts) not in (2, 3):
        raise ValidationFailed(
            "walk_forward", "expected TRAIN:TEST[:STEP] with durations like 30d:7d", text
        )
    train = parse_duration(parts[0], "walk_forward.train")
    test = parse_duration(parts[1], "walk_forward.test")
    step = parse_duration(parts[2], "walk_forward.step") if len(parts) == 3 else test
    if step < test:
        raise ValidationFailed(
            "walk_forward.step",
            f"must be at least the test length {label(test)} (test windows may not overlap)",
            parts[2],
        )
    return WindowPlan(train, test, step)


@dataclass(frozen=True, slots=True)
class Fold:
    index: int
    train_start: datetime
    train_end: datetime
    test_start: datetime
    test_end: datetime


def make_folds(start: datetime, end: datetime, plan: WindowPlan, base: Timeframe) -> list[Fold]:
    """The folds of ``plan`` over ``[start, end)`` on the ``base`` bar grid (see module doc)."""
    for name, value in (("train", plan.train), ("test", plan.test), ("step", plan.step)):
        if value <= timedelta(0) or value % base.delta:
            raise ValidationFailed(
                f"walk_forward.{name}",
                f"must be a positive whole number of {base} bars",
                label(value),
            )
    if plan.step < plan.test:
        raise ValidationFailed(
            "walk_forward.step",
            f"must be at least the test length {label(plan.test)}",
            label(plan.step),
        )
    span = end - start
    if plan.test >= span:
        raise ValidationFailed(
            "walk_forward.test",
            f"is longer than the window [start, end) of {label(span)}; it must leave room "
            "for a train part",
            label(plan.test),
        )
    if plan.train + plan.test > span:
        raise ValidationFailed(
            "walk_forward.train",
            f"train {label(plan.train)} + test {label(plan.test)} does not fit the window "
            f"[start, end) of {label(span)}",
            label(plan.train),
        )
    count = (span - plan.train - plan.test) // plan.step + 1
    if count > MAX_FOLDS:
        raise ValidationFailed(
            "walk_forward.step", f"gives {count} folds; at most {MAX_FOLDS}", label(plan.step)
        )
    folds = []
    for i in range(count):
        train_start = start + i * plan.step
        train_end = train_start + plan.train
        folds.append(Fold(i + 1, train_start, train_end, train_end, train_end + plan.test))
    return folds
