"""Settings (pydantic-settings), feature flags and secrets.

Nothing here builds a settings object, store or provider at import time: the
composition root calls :func:`load_settings`, :func:`build_secrets_provider`,
:func:`check_live_allowed` and :func:`build_flag_store`. The Redis and Vault backends
are not exported here: they live in ``quorum.config.flags.redis_store`` and
``quorum.config.secrets.vault`` / ``vault_session``, which the factories import when
those backends are configured, so their client libraries load only then.
"""

from quorum.config.flags import (
    FLAG_ENV_PREFIX,
    FLAG_SPECS,
    FileFlagStore,
    FlagBackend,
    FlagChange,
    FlagChangeRecorder,
    FlagSpec,
    FlagState,
    FlagStore,
    FlagValue,
    JsonlFlagAuditLog,
    LiveGuard,
    build_flag_store,
    flag_defaults,
    flag_spec,
)
from quorum.config.live_guard import (
    check_live_allowed,
    check_trading_live_allowed,
    make_live_guard,
)
from quorum.config.secrets import (
    REDACTED,
    EnvSecrets,
    RedactingFilter,
    RoutingSecrets,
    SecretSink,
    build_secrets_provider,
)
from quorum.config.settings import (
    CONFIG_PATH_VARIABLE,
    AppSettings,
    ComponentSettings,
    DatabaseSettings,
    ExchangeSettings,
    FlagsSettings,
    JournalSettings,
    LoggingSettings,
    LogLevel,
    SecretsSettings,
    TradingMode,
    TradingSettings,
    VaultSettings,
    load_settings,
)
from quorum.config.settings.masking import mask_url
from quorum.config.settings.refs import EnvSecretRef, ParsedRef, SecretRef, parse_ref

__all__ = [
    "CONFIG_PATH_VARIABLE",
    "FLAG_ENV_PREFIX",
    "FLAG_SPECS",
    "REDACTED",
    "AppSettings",
    "ComponentSettings",
    "DatabaseSettings",
    "EnvSecretRef",
    "EnvSecrets",
    "ExchangeSettings",
    "FileFlagStore",
    "FlagBackend",
    "FlagChange",
    "FlagChangeRecorder",
    "FlagSpec",
    "FlagState",
    "FlagStore",
    "FlagValue",
    "FlagsSettings",
    "JournalSettings",
    "JsonlFlagAuditLog",
    "LiveGuard",
    "LogLevel",
    "LoggingSettings",
    "ParsedRef",
    "RedactingFilter",
    "RoutingSecrets",
    "SecretRef",
    "SecretSink",
    "SecretsSettings",
    "TradingMode",
    "TradingSettings",
    "VaultSettings",
    "build_flag_store",
    "build_secrets_provider",
    "check_live_allowed",
    "check_trading_live_allowed",
    "flag_defaults",
    "flag_spec",
    "load_settings",
    "make_live_guard",
    "mask_url",
    "parse_ref",
]
