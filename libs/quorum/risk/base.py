"""A frozen domain model whose derived values are computed once per instance.

``functools.cached_property`` values of a frozen model depend only on that instance's own
validated fields; they live in the instance, never in a module, so no call can see
another call's values."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any, Self

from quorum.domain import DomainModel


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
