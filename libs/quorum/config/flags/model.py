"""What a flag flip produces (``FlagChange``) and how a flag's current value is described.

These are plain frozen pydantic records; they do not import ``quorum.domain`` so that
loading configuration (e.g. in the CLI) does not pull in pandas.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from quorum.config.flags.spec import FlagValue

FlagBackend = Literal["file", "redis"]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class FlagChange(_Record):
    """One successful flip: recorded by a ``FlagChangeRecorder`` (the journal chains these)."""

    name: str
    old: FlagValue
    new: FlagValue
    actor: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    at: Annotated[AwareDatetime, AfterValidator(_to_utc)]
    """When the flip was applied, from the store's injected clock; UTC."""
    backend: FlagBackend
    version: int = Field(ge=1)
    """The store's version after this change."""


class FlagState(_Record):
    """A flag's effective value and where it came from (``env …``, ``file …``, ``default``)."""

    name: str
    value: FlagValue
    default: FlagValue
    source: str
