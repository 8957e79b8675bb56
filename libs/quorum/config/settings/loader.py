"""``load_settings``: env over an optional YAML file, validated, errors naming each key."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from pydantic import ValidationError
from pydantic_settings import PydanticBaseSettingsSource, SettingsError
from pydantic_settings.sources import DefaultSettingsSource

from quorum.config.settings.app import ENV_NESTED_DELIMITER, ENV_PREFIX, AppSettings
from quorum.config.settings.report import (
    Problem,
    SourceLocator,
    format_problems,
    problems_from_validation,
)
from quorum.config.settings.sources import MappingEnvSource, YamlFileSource
from quorum.errors import ConfigError

CONFIG_PATH_VARIABLE = "QUORUM_CONFIG"
_NOT_SETTINGS = (ENV_PREFIX + "FLAG_",)
"""Prefixes that share ``QUORUM_`` but are not settings (runtime flag overrides)."""


def load_settings(
    env: Mapping[str, str] | None = None, config_path: str | None = None
) -> AppSettings:
    """Build :class:`AppSettings` from the environment and an optional YAML file.

    ``config_path`` (or ``QUORUM_CONFIG`` in ``env``) names a YAML file whose string
    values may use ``${VAR}`` / ``${VAR:-default}``. ``QUORUM_<COMPONENT>__<KEY>``
    variables win over the file. Any failure raises :class:`ConfigError` listing
    every bad key as a dotted path with its source; nothing is half-built.
    """
    environ = dict(os.environ if env is None else env)
    path = config_path or environ.get(CONFIG_PATH_VARIABLE) or None
    origin = "argument" if config_path else CONFIG_PATH_VARIABLE
    yaml_source = YamlFileSource(AppSettings, path, environ, origin) if path else None
    sources: list[PydanticBaseSettingsSource] = [MappingEnvSource(AppSettings, environ)]
    if yaml_source is not None:
        sources.append(yaml_source)
    sources.append(DefaultSettingsSource(AppSettings))

    locator = SourceLocator(environ, yaml_source.data if yaml_source else None, path)
    problems = _unknown_env_components(environ, locator)
    try:
        settings = AppSettings(_build_sources=(tuple(sources), {}))
    except ValidationError as exc:
        problems.extend(problems_from_validation(exc, locator))
    except SettingsError as exc:
        problems.append(_unparsable_env(exc, locator))
    if problems:
        raise ConfigError(format_problems(problems))
    return settings


def _unparsable_env(exc: SettingsError, locator: SourceLocator) -> Problem:
    """pydantic-settings could not decode a JSON-valued variable such as ``QUORUM_TRADING``."""
    match = re.search(r'field "([^"]+)"', str(exc))
    field = match.group(1) if match else "(unknown field)"
    return Problem(
        field,
        "value is not valid JSON (a whole component given as one variable must be a JSON object)",
        locator.sources((field,)),
    )


def _unknown_env_components(env: Mapping[str, str], locator: SourceLocator) -> list[Problem]:
    """``QUORUM_TRADNG__MODE`` would be silently ignored by pydantic-settings; refuse it."""
    problems = []
    components = set(AppSettings.model_fields)
    for name in sorted(env):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper.startswith(_NOT_SETTINGS):
            continue
        head, delimiter, _ = upper.removeprefix(ENV_PREFIX).partition(ENV_NESTED_DELIMITER)
        if delimiter and head.lower() not in components:
            problems.append(
                Problem(
                    head.lower(),
                    f"unknown key (components are: {', '.join(sorted(components))})",
                    (f"env {name}",),
                )
            )
    return problems
