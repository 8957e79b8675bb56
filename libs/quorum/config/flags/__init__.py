"""Runtime feature flags: declared schema, file and Redis stores, flip audit.

``RedisFlagStore`` lives in :mod:`quorum.config.flags.redis_store` and is not exported
here: :func:`build_flag_store` imports it when the Redis backend is configured, so
importing this package does not load the Redis client.
"""

from quorum.config.flags.audit import JsonlFlagAuditLog
from quorum.config.flags.factory import build_flag_store, flag_defaults
from quorum.config.flags.file_store import FileFlagStore
from quorum.config.flags.model import FlagBackend, FlagChange, FlagState
from quorum.config.flags.ports import FlagChangeRecorder, FlagStore, LiveGuard
from quorum.config.flags.spec import FLAG_ENV_PREFIX, FLAG_SPECS, FlagSpec, FlagValue, flag_spec

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
    "build_flag_store",
    "flag_defaults",
    "flag_spec",
]
