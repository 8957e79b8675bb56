"""Shared building blocks of the domain model: the frozen base model and value types."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property
from typing import Annotated, Any, Self

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field


class DomainModel(BaseModel):
    """Frozen, strict-keyed base for every domain value.

    Unknown keys are rejected, values are validated on construction and
    re-validated on ``model_copy(update=...)`` through :meth:`evolve`.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        validate_default=True,
        ser_json_inf_nan="strings",
        use_enum_values=False,
    )

    def evolve(self, **changes: object) -> DomainModel:
        """Return a validated copy with ``changes`` applied (``model_copy`` skips validation)."""
        data = self.model_dump()
        data.update(changes)
        return type(self).model_validate(data)


class CachedModel(DomainModel):
    """A frozen domain model whose derived values are computed once per instance.

    ``functools.cached_property`` values live in the instance ``__dict__``; pydantic's
    ``model_copy`` would carry them over to a copy whose fields changed. This drops them
    from every copy so they are recomputed from the copy's own fields."""

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        copied = super().model_copy(update=update, deep=deep)
        for klass in type(self).__mro__:
            for name, attribute in vars(klass).items():
                if isinstance(attribute, cached_property):
                    copied.__dict__.pop(name, None)
        return copied


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware datetime, normalised to UTC. Naive datetimes are refused."""

Price = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
"""A price: finite and strictly positive."""

Quantity = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
"""An order or position quantity: finite and strictly positive."""

NonNegativeDecimal = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
"""Volume, filled quantity, fees: finite and >= 0."""

Money = Annotated[Decimal, Field(allow_inf_nan=False)]
"""An amount of money in the quote currency; may be negative (P&L)."""

Confidence = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
"""A probability-like confidence in [0, 1]."""

Leverage = Annotated[Decimal, Field(ge=1, le=10, allow_inf_nan=False)]
"""Leverage between 1x and 10x."""

Hash256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
"""A lower-case hex SHA-256 digest."""

MIN_STOP_FRACTION = Decimal("0.001")
MAX_STOP_FRACTION = Decimal("0.10")
