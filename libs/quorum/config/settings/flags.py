"""Feature-flag settings: which backend stores the flags and where flips are audited."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from quorum.config.settings.base import ComponentSettings


class FlagsSettings(ComponentSettings):
    """``file`` for a single host, ``redis`` in cluster mode (flips seen by every process)."""

    backend: Literal["file", "redis"] = "file"
    file_path: str = Field(default="var/flags.json", min_length=1)
    redis_url: str | None = Field(default=None, pattern=r"^(redis|rediss|unix)://\S+$")
    redis_key_prefix: str = Field(default="quorum:flags", min_length=1)
    audit_path: str = Field(default="var/flag-audit.jsonl", min_length=1)

    @model_validator(mode="after")
    def _redis_backend_needs_url(self) -> Self:
        if self.backend == "redis" and self.redis_url is None:
            raise PydanticCustomError(
                "flags_redis_url", "redis_url is required when backend is 'redis'"
            )
        return self
