"""pydantic-settings sources: env from an explicit mapping, and a YAML file with ``${VAR}``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic_settings import BaseSettings, EnvSettingsSource, InitSettingsSource
from pydantic_settings.sources.utils import parse_env_vars

from quorum.config.settings.expand import expand_tree
from quorum.errors import ConfigError


class MappingEnvSource(EnvSettingsSource):
    """The stock env source, reading a given mapping instead of ``os.environ``."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        self._mapping = dict(env)
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._mapping, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(prefix={self.env_prefix!r})"


class YamlFileSource(InitSettingsSource):
    """A YAML file whose string values are expanded from ``env`` before validation."""

    def __init__(
        self, settings_cls: type[BaseSettings], path: str, env: Mapping[str, str], origin: str
    ) -> None:
        self.path = path
        self.data = read_yaml_config(path, env, origin)
        super().__init__(settings_cls, init_kwargs=dict(self.data))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={self.path!r})"


def read_yaml_config(path: str, env: Mapping[str, str], origin: str) -> dict[str, object]:
    """Read, parse and expand a YAML config file; every failure is a ConfigError."""
    where = f"config file {path} (from {origin})"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{where}: not found") from None
    except OSError as exc:
        raise ConfigError(f"{where}: cannot be read ({exc.strerror})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{where}: invalid YAML{at}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: invalid YAML: {exc}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{where}: the top level must be a mapping of components "
            f"(trading, database, …), got {type(raw).__name__}"
        )
    try:
        expanded = expand_tree(raw, env)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    assert isinstance(expanded, dict)
    return expanded
