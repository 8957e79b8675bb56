"""Per-run overrides of component settings: validated strictly, merged over the deployment's.

A backtest (or any run) may change some fields of the ``agents``, ``scoring``, ``risk`` and
``llm`` components without restating the rest: the override is a mapping nested like the
component's model, validated on its own (an unknown key is refused, named with its dotted
path and the keys that exist) and then merged over the deployment's settings, which keep
every field the override does not name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError


def _model_at(model: type[BaseModel], path: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The settings model a location inside ``model`` points into (None: not a model)."""
    for part in path:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


def override_error(component: str, model: type[BaseModel], exc: ValidationError) -> str:
    """One line per problem, each naming the dotted key under ``component`` and the rule."""
    lines = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        key = ".".join([component, *(str(p) for p in loc)])
        if error["type"] == "extra_forbidden":
            parent = _model_at(model, loc[:-1])
            known = ", ".join(sorted(parent.model_fields)) if parent else "none"
            lines.append(f"{key}: unknown key; expected one of: {known}")
        else:
            lines.append(f"{key}: {error['msg']}")
    return "; ".join(lines)


def validate_override(component: str, model: type[BaseModel], value: Any) -> dict[str, Any]:
    """``value`` (fields of ``model`` to override, nested like it) validated strictly and
    returned in canonical JSON form: only the keys given. ValueError names each problem."""
    if not isinstance(value, Mapping):
        raise ValueError(
            f"{component}: expected a mapping of {model.__name__} fields, got {value!r}"
        )
    try:
        settings = model.model_validate(dict(value))
    except ValidationError as exc:
        raise ValueError(override_error(component, model, exc)) from None
    override: dict[str, Any] = settings.model_dump(mode="json", exclude_unset=True)
    return override


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        current = out.get(key)
        if isinstance(value, Mapping) and isinstance(current, dict):
            out[key] = _merge(current, value)
        else:
            out[key] = value
    return out


def apply_override[M: BaseModel](
    component: str, current: M, override: Mapping[str, Any] | None
) -> M:
    """``current`` with ``override`` merged over it (``current`` itself when none)."""
    if not override:
        return current
    model = type(current)
    merged = _merge(current.model_dump(mode="json"), override)
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        raise ValueError(override_error(component, model, exc)) from None
