"""Fault injection for the paper exchange's transports: latency, outages, ambiguous replies.

An *ambiguous* reply happens after the venue accepted the order: the client sees a
timeout, a 502 or a connection reset and cannot tell whether the order exists. An
*outage* refuses every request before the venue looks at it (nothing is accepted).
"""

from __future__ import annotations

import random
import threading

from pydantic import BaseModel, ConfigDict, Field

AMBIGUOUS_KINDS = ("timeout", "502", "reset")


class FaultSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    latency_s: float = Field(default=0.0, ge=0)
    ambiguous_probability: float = Field(default=0.0, ge=0, le=1)
    ambiguous_kinds: tuple[str, ...] = AMBIGUOUS_KINDS
    seed: int = 0


class Faults:
    """The live fault state of one venue transport (thread-safe, switchable at run time)."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._lock = threading.Lock()
        self.settings = settings or FaultSettings()
        self._rng = random.Random(self.settings.seed)  # noqa: S311 - simulation, not crypto
        self._down = False
        self.ambiguous_replies = 0

    def configure(self, settings: FaultSettings) -> None:
        with self._lock:
            self.settings = settings
            self._rng = random.Random(settings.seed)  # noqa: S311

    @property
    def down(self) -> bool:
        with self._lock:
            return self._down

    def set_down(self, down: bool) -> None:
        with self._lock:
            self._down = down

    def ambiguous(self) -> str | None:
        """The ambiguous reply to give to an accepted submit, or None for a normal reply."""
        with self._lock:
            if self._rng.random() >= self.settings.ambiguous_probability:
                return None
            self.ambiguous_replies += 1
            return self._rng.choice(self.settings.ambiguous_kinds)
