"""Runtime feature flags: declared schema, file and Redis stores, flip audit.

``RedisFlagStore`` is loaded on first use so that importing this package does not
load the Redis client when the file backend is used.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from quorum.config.flags.audit import JsonlFlagAuditLog
from quorum.config.flags.factory import build_flag_store, flag_defaults
from quorum.config.flags.file_store import FileFlagStore
from quorum.config.flags.model import FlagBackend, FlagChange, FlagState
from quorum.config.flags.ports import FlagChangeRecorder, FlagStore, LiveGuard
from quorum.config.flags.spec import FLAG_ENV_PREFIX, FLAG_SPECS, FlagSpec, FlagValue, flag_spec

if TYPE_CHECKING:
    from quorum.config.flags.redis_store import RedisFlagStore

__all__ = [
    "FLAG_ENV_PREFIX",
    "FLAG_SPECS",
    "FileFlagStore",
    "FlagBackend",
    "FlagChange",
    "FlagChangeRecorder",
    "FlagSpec",
    "FlagState",
    "FlagStore",
    "FlagValue",
    "JsonlFlagAuditLog",
    "LiveGuard",
    "RedisFlagStore",
    "build_flag_store",
    "flag_defaults",
    "flag_spec",
]


def __getattr__(name: str) -> Any:
    if name == "RedisFlagStore":
        return import_module("quorum.config.flags.redis_store").RedisFlagStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
