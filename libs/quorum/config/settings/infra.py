"""Infrastructure settings: database, Celery broker, logging."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from quorum.config.settings.base import ComponentSettings

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class DatabaseSettings(ComponentSettings):
    """SQLAlchemy URL; the default is a SQLite file relative to the working directory."""

    url: str = Field(default="sqlite:///var/quorum.db", min_length=1)


class LoggingSettings(ComponentSettings):
    """Log level and whether lines are JSON (key ``json``)."""

    level: LogLevel = "INFO"
    json_lines: bool = Field(default=False, alias="json")

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value
