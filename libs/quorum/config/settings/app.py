"""The application settings: one field per component, read from env (``QUORUM_…``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from quorum.config.settings.agents import AgentSettings
from quorum.config.settings.api import ApiSettings
from quorum.config.settings.execution import ExecutionSettings
from quorum.config.settings.flags import FlagsSettings
from quorum.config.settings.infra import DatabaseSettings, LoggingSettings
from quorum.config.settings.journal import JournalSettings
from quorum.config.settings.llm import LLMSettings
from quorum.config.settings.pipeline import PipelineSettings
from quorum.config.settings.risk import RiskSettings
from quorum.config.settings.scoring import ScoringSettings
from quorum.config.settings.secrets import SecretsSettings
from quorum.config.settings.trading import TradingSettings
from quorum.config.settings.worker import WorkerSettings

ENV_PREFIX = "QUORUM_"
ENV_NESTED_DELIMITER = "__"


class AppSettings(BaseSettings):
    """All settings. Add a component by adding one field here with its own model.

    Every component's model is defined in this package (``quorum.config.settings.<component>``)
    and imports only pydantic, the standard library and the domain values; the capability
    packages (risk, execution, llm, agents, scoring) re-export theirs, never the other way.

    Build it with :func:`quorum.config.load_settings` (env over YAML file); calling
    ``AppSettings()`` directly reads only init arguments and ``QUORUM_*`` variables.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
        case_sensitive=False,
        frozen=True,
        extra="forbid",
        validate_default=True,
    )

    trading: TradingSettings = Field(default_factory=TradingSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    secrets: SecretsSettings = Field(default_factory=SecretsSettings)
    flags: FlagsSettings = Field(default_factory=FlagsSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    journal: JournalSettings = Field(default_factory=JournalSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    risk: RiskSettings = Field(default_factory=RiskSettings)
    """The risk gate's limits, the daily reset time and zone (``quorum.risk``)."""
    execution: ExecutionSettings = Field(default_factory=ExecutionSettings)
    """Order sending, resolution, reconciliation and throttle (``quorum.execution``)."""
    agents: AgentSettings = Field(default_factory=AgentSettings)
    """The analysis graph: prefilter, debate, LLM roles, context, retries (``quorum.agents``)."""
    scoring: ScoringSettings = Field(default_factory=ScoringSettings)
    """The confluence score's static weights (``quorum.scoring``)."""
    broker_url: str | None = Field(default=None, min_length=1)
    """Celery broker (env ``QUORUM_BROKER_URL``); unset runs the pipeline in-process."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Init arguments, then ``QUORUM_*`` env. No dotenv file, no secrets directory."""
        return init_settings, env_settings
