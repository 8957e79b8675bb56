"""Settings: one frozen, strict model per component, composed into :class:`AppSettings`."""

from quorum.config.settings.app import ENV_NESTED_DELIMITER, ENV_PREFIX, AppSettings
from quorum.config.settings.base import ComponentSettings
from quorum.config.settings.flags import FlagsSettings
from quorum.config.settings.infra import (
    DatabaseSettings,
    LoggingSettings,
    LogLevel,
)
from quorum.config.settings.journal import JournalSettings
from quorum.config.settings.loader import CONFIG_PATH_VARIABLE, load_settings
from quorum.config.settings.secrets import SecretsSettings, VaultSettings
from quorum.config.settings.trading import ExchangeSettings, TradingMode, TradingSettings

__all__ = [
    "CONFIG_PATH_VARIABLE",
    "ENV_NESTED_DELIMITER",
    "ENV_PREFIX",
    "AppSettings",
    "ComponentSettings",
    "DatabaseSettings",
    "ExchangeSettings",
    "FlagsSettings",
    "JournalSettings",
    "LogLevel",
    "LoggingSettings",
    "SecretsSettings",
    "TradingMode",
    "TradingSettings",
    "VaultSettings",
    "load_settings",
]
