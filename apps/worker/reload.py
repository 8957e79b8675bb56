"""Config hot reload: a changed ``QUORUM_CONFIG`` file is validated, then applied or refused.

A worker process asks :meth:`ConfigReloader.poll` before each task (throttled by
``worker.config_check_interval_s``). A change is loaded with ``load_settings`` first; an
invalid one is refused and logged once, and the process keeps its old settings.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from pathlib import Path

from quorum.config import AppSettings
from quorum.errors import ConfigError

log = logging.getLogger("quorum.worker.reload")

RESTART_ONLY = ("worker", "broker_url")
"""Sections that configure Celery itself (queues, limits, broker): read at start only."""


class ConfigReloader:
    """Watches one config file by content hash; returns validated new settings on change."""

    def __init__(
        self,
        path: str | None,
        current: AppSettings,
        load: Callable[[], AppSettings],
        interval_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path) if path else None
        self.current = current
        self._load = load
        self._interval_s = interval_s
        self._monotonic = monotonic
        self._applied = self._fingerprint()
        self._refused: str | None = None
        self._next_check = monotonic() + interval_s

    def poll(self) -> AppSettings | None:
        """New settings when the file changed and validates; ``None`` otherwise."""
        if self.path is None:
            return None
        now = self._monotonic()
        if now < self._next_check:
            return None
        self._next_check = now + self._interval_s
        fingerprint = self._fingerprint()
        if fingerprint in (self._applied, self._refused):
            return None
        try:
            settings = self._load()
        except ConfigError as exc:
            self._refused = fingerprint
            log.error(
                "config change in %s refused, keeping the running configuration: %s",
                self.path,
                exc,
            )
            return None
        self._applied, self._refused = fingerprint, None
        stale = [
            name for name in RESTART_ONLY if getattr(settings, name) != getattr(self.current, name)
        ]
        if stale:
            log.warning(
                "config change in %s: %s take effect only when the workers restart",
                self.path,
                ", ".join(stale),
            )
        self.current = settings
        log.info("config change in %s applied", self.path)
        return settings

    def _fingerprint(self) -> str:
        if self.path is None:
            return ""
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError as exc:
            return f"unreadable:{exc.errno}"
