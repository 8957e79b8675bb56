"""The base of every component settings model: frozen, strict-keyed, safe to print."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from quorum.config.settings.masking import mask_url


class ComponentSettings(BaseModel):
    """Frozen; unknown keys rejected; URL passwords masked in ``repr``/``str``."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield name, mask_url(value) if isinstance(value, str) else value
