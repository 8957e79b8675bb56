"""Fault injection for the paper exchange's transports: latency, outages, ambiguous replies.

An *ambiguous* reply happens after the venue accepted the order: the client sees a
timeout, a 502 or a connection reset and cannot tell whether the order exists. An
*outage* refuses every request before the venue looks at it (nothing is accepted); an
*auth failure* refuses every request as a venue refuses revoked or insufficient API-key
permissions (``BrokerAuthFailed``, the adapter's translation of ccxt's
``AuthenticationError`` / ``PermissionDenied``), local to this process like an outage.
``latency_s`` delays every request before the venue sees it; ``submit_reply_delay_s``
delays the reply to a submit the venue already accepted (a slow task that outlives its
broker's visibility timeout, while the order already rests at the venue).
"""

from __future__ import annotations

import random
import threading
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

AMBIGUOUS_KINDS = ("timeout", "502", "reset")


class FaultSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    latency_s: float = Field(default=0.0, ge=0)
    submit_reply_delay_s: float = Field(default=0.0, ge=0)
    ambiguous_probability: float = Field(default=0.0, ge=0, le=1)
    ambiguous_kinds: tuple[str, ...] = AMBIGUOUS_KINDS
    seed: int = 0


class Faults:
    """The live fault state of one venue transport (thread-safe, switchable at run time)."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._lock = threading.Lock()
        self._settings = settings or FaultSettings()
        self._rng = random.Random(self._settings.seed)  # noqa: S311 - simulation, not crypto
        self._down = False
        self._auth_failed = False
        self.ambiguous_replies = 0

    @property
    def settings(self) -> FaultSettings:
        return self._settings

    def configure(self, settings: FaultSettings) -> None:
        with self._lock:
            self._settings = settings
            self._rng = random.Random(settings.seed)  # noqa: S311

    @property
    def down(self) -> bool:
        with self._lock:
            return self._down

    def set_down(self, down: bool) -> None:
        with self._lock:
            self._down = down

    @property
    def auth_failed(self) -> bool:
        with self._lock:
            return self._auth_failed

    def set_auth_failed(self, failed: bool) -> None:
        """Refuse every request as the venue refuses revoked credentials (401 / -2015)."""
        with self._lock:
            self._auth_failed = failed

    def ambiguous(self) -> str | None:
        """The ambiguous reply to give to an accepted submit, or None for a normal reply."""
        with self._lock:
            if self._rng.random() >= self.settings.ambiguous_probability:
                return None
            self.ambiguous_replies += 1
            return self._rng.choice(self.settings.ambiguous_kinds)


class FaultSource(Protocol):
    """Where shared fault settings live (:class:`~quorum.execution.paper.StoredPaperVenue`)."""

    def fault_settings(self) -> FaultSettings: ...

    def set_faults(self, settings: FaultSettings) -> None: ...


class StoredFaults(Faults):
    """The fault injection of a transport to a venue whose fault settings are shared (the
    stored paper venue: every process on its database, switched with :meth:`configure`);
    an outage (:meth:`set_down`) stays local to this process."""

    def __init__(self, venue: FaultSource) -> None:
        super().__init__(venue.fault_settings())
        self._venue = venue

    @property
    def settings(self) -> FaultSettings:
        return self._venue.fault_settings()

    def configure(self, settings: FaultSettings) -> None:
        self._venue.set_faults(settings)
        super().configure(settings)
