"""Settings: one frozen, strict model per component, composed into :class:`AppSettings`.

A leaf of the dependency graph: these modules import only pydantic, PyYAML, the standard
library, ``quorum.errors`` and ``quorum.domain``, never a capability package (which import
their settings from here).
"""

from quorum.config.settings.agents import AgentSettings
from quorum.config.settings.app import ENV_NESTED_DELIMITER, ENV_PREFIX, AppSettings
from quorum.config.settings.base import ComponentSettings
from quorum.config.settings.execution import ExecutionSettings
from quorum.config.settings.flags import FlagsSettings
from quorum.config.settings.infra import (
    DatabaseSettings,
    LoggingSettings,
    LogLevel,
)
from quorum.config.settings.journal import JournalSettings
from quorum.config.settings.llm import LLMSettings
from quorum.config.settings.loader import CONFIG_PATH_VARIABLE, load_settings
from quorum.config.settings.pipeline import PipelineSettings
from quorum.config.settings.risk import RiskSettings
from quorum.config.settings.scoring import ScoringSettings
from quorum.config.settings.secrets import SecretsSettings, VaultSettings
from quorum.config.settings.trading import ExchangeSettings, TradingMode, TradingSettings

__all__ = [
    "CONFIG_PATH_VARIABLE",
    "ENV_NESTED_DELIMITER",
    "ENV_PREFIX",
    "AgentSettings",
    "AppSettings",
    "ComponentSettings",
    "DatabaseSettings",
    "ExchangeSettings",
    "ExecutionSettings",
    "FlagsSettings",
    "JournalSettings",
    "LLMSettings",
    "LogLevel",
    "LoggingSettings",
    "PipelineSettings",
    "RiskSettings",
    "ScoringSettings",
    "SecretsSettings",
    "TradingMode",
    "TradingSettings",
    "VaultSettings",
    "load_settings",
]
