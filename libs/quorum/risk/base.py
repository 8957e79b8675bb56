"""A frozen domain model whose derived values are computed once per instance."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any, Self

from quorum.domain import DomainModel

_new = object.__new__
_set = object.__setattr__


def trusted[M: DomainModel](cls: type[M], values: dict[str, Any], fields_set: frozenset[str]) -> M:
    """The ``cls`` instance validation would build from ``values``, without validating again.

    For the risk engine's own hot-path values only, which meet the schema by construction
    (each caller says why). ``values`` must hold every field, defaults included, exactly as
    validation would store them; ``fields_set`` names the ones given explicitly. The result
    has the same ``__dict__``, fields set, extras and private state as the validated model,
    so equality, hashing and serialization cannot tell the two apart; the tests compare
    them field for field.
    """
    model = _new(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", set(fields_set))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


class CachedModel(DomainModel):
    """``functools.cached_property`` values live in the instance ``__dict__``; pydantic's
    ``model_copy`` would carry them over to a copy whose fields changed. This drops them
    from every copy so they are recomputed from the copy's own fields."""

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        copied = super().model_copy(update=update, deep=deep)
        for klass in type(self).__mro__:
            for name, attribute in vars(klass).items():
                if isinstance(attribute, cached_property):
                    copied.__dict__.pop(name, None)
        return copied
