"""Build the flag store the settings ask for."""

from __future__ import annotations

from collections.abc import Mapping

from quorum.clock import Clock
from quorum.config.flags.audit import JsonlFlagAuditLog
from quorum.config.flags.file_store import FileFlagStore
from quorum.config.flags.ports import FlagChangeRecorder, FlagStore, LiveGuard
from quorum.config.flags.spec import FlagValue
from quorum.config.settings import AppSettings
from quorum.errors import ConfigError


def flag_defaults(settings: AppSettings) -> dict[str, FlagValue]:
    """Start-up values that come from settings rather than the flag schema."""
    return {
        "trading.mode": settings.trading.mode,
        "trading.live_confirm": settings.trading.live_confirm,
    }


def build_flag_store(
    settings: AppSettings,
    *,
    clock: Clock,
    guard: LiveGuard,
    recorder: FlagChangeRecorder | None = None,
    env: Mapping[str, str] | None = None,
) -> FlagStore:
    """``flags.backend: file`` → FileFlagStore; ``redis`` → RedisFlagStore.

    Flips are recorded by ``recorder``, by default a JSONL audit log at ``flags.audit_path``.
    """
    flags = settings.flags
    recorder = recorder or JsonlFlagAuditLog(flags.audit_path)
    defaults = flag_defaults(settings)
    if flags.backend == "redis":
        if flags.redis_url is None:
            raise ConfigError("flags.redis_url: required when flags.backend is 'redis'")
        import redis

        from quorum.config.flags.redis_store import RedisFlagStore

        return RedisFlagStore(
            redis.Redis.from_url(flags.redis_url),
            clock=clock,
            guard=guard,
            recorder=recorder,
            defaults=defaults,
            key_prefix=flags.redis_key_prefix,
        )
    return FileFlagStore(
        flags.file_path, clock=clock, guard=guard, recorder=recorder, defaults=defaults, env=env
    )
