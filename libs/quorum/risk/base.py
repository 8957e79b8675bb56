"""``trusted``: build a risk hot-path value without validating it again.

``CachedModel`` (derived values computed once per instance) lives in the domain, next to
``DomainModel``, so the risk settings in ``quorum.config.settings`` can use it too."""

from __future__ import annotations

from typing import Any

from quorum.domain.base import CachedModel as CachedModel
from quorum.domain.base import DomainModel

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
