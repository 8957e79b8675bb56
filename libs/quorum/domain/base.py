"""Shared building blocks of the domain model: the frozen base model and value types."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property
from typing import Annotated, Any, Self

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from quorum.domain.bounds import MAX_MONEY, MAX_PRICE, MAX_QUANTITY, MIN_PRICE, MIN_QUANTITY, within


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

Price = Annotated[
    Decimal, Field(gt=0, allow_inf_nan=False), AfterValidator(within(MIN_PRICE, MAX_PRICE))
]
"""A price: finite, strictly positive, within [MIN_PRICE, MAX_PRICE]."""

Quantity = Annotated[
    Decimal,
    Field(gt=0, allow_inf_nan=False),
    AfterValidator(within(MIN_QUANTITY, MAX_QUANTITY)),
]
"""An order or position quantity: finite, strictly positive, within [MIN_QUANTITY,
MAX_QUANTITY]."""

NonNegativeDecimal = Annotated[
    Decimal, Field(ge=0, allow_inf_nan=False), AfterValidator(within(Decimal(0), MAX_MONEY))
]
"""Volume, filled quantity, fees: finite, >= 0 and at most MAX_MONEY."""

Money = Annotated[
    Decimal, Field(allow_inf_nan=False), AfterValidator(within(-MAX_MONEY, MAX_MONEY))
]
"""An amount of money in the quote currency; may be negative (P&L); at most MAX_MONEY
either way."""

PositiveMoney = Annotated[
    Decimal, Field(gt=0, allow_inf_nan=False), AfterValidator(within(MIN_PRICE, MAX_MONEY))
]
"""Equity and other strictly positive amounts: within [MIN_PRICE, MAX_MONEY]."""

Confidence = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
"""A probability-like confidence in [0, 1]."""

Leverage = Annotated[Decimal, Field(ge=1, le=10, allow_inf_nan=False)]
"""Leverage between 1x and 10x."""

Hash256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
"""A lower-case hex SHA-256 digest."""

MIN_STOP_FRACTION = Decimal("0.001")
MAX_STOP_FRACTION = Decimal("0.10")
