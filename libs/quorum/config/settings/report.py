"""Turn validation failures into one ConfigError naming each bad key and where it came from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from quorum.config.settings.app import ENV_NESTED_DELIMITER, ENV_PREFIX
from quorum.config.settings.expand import Path, dotted
from quorum.config.settings.masking import mask_url

_SENSITIVE_WORDS = ("ref", "token", "password", "secret", "key")
_MAX_SHOWN = 80


@dataclass(frozen=True, slots=True)
class Problem:
    """One bad key: its dotted path, what is wrong, and where the value came from."""

    key: str
    message: str
    sources: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f" [{'; '.join(self.sources)}]" if self.sources else ""
        return f"{self.key}: {self.message}{where}"


def format_problems(problems: Sequence[Problem]) -> str:
    noun = "problem" if len(problems) == 1 else "problems"
    lines = "\n".join(f"  - {problem}" for problem in problems)
    return f"invalid configuration ({len(problems)} {noun}):\n{lines}"


class SourceLocator:
    """Finds which env variables and/or config file supplied a key path."""

    def __init__(
        self, env: Mapping[str, str], file_data: Mapping[str, object] | None, file_path: str | None
    ) -> None:
        self._env_names = {name.upper(): name for name in env}
        self._file_data = file_data
        self._file_path = file_path

    def env_var(self, path: Path) -> str:
        parts = [str(part).upper() for part in path]
        return ENV_PREFIX + ENV_NESTED_DELIMITER.join(parts)

    def sources(self, path: Path) -> tuple[str, ...]:
        found: list[str] = []
        for end in range(len(path), 0, -1):
            name = self._env_names.get(self.env_var(path[:end]))
            if name is not None:
                found.append(f"env {name}")
                break
        else:
            children = self.env_var(path) + ENV_NESTED_DELIMITER if path else ""
            found.extend(
                f"env {original}"
                for upper, original in sorted(self._env_names.items())
                if children and upper.startswith(children)
            )
        if self._file_path is not None and _has_path(self._file_data, path):
            found.append(f"file {self._file_path}")
        return tuple(found)


def problems_from_validation(exc: ValidationError, locator: SourceLocator) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        path: Path = tuple(error["loc"])
        if error["type"] == "extra_forbidden":
            message = "unknown key (not a setting here; check the spelling)"
        else:
            message = error["msg"] + _shown_input(path, error["type"], error.get("input"))
        problems.append(Problem(dotted(path), message, locator.sources(path)))
    return problems


def _shown_input(path: Path, error_type: str, value: object) -> str:
    if error_type == "missing" or isinstance(value, dict | list | tuple):
        return ""
    last = str(path[-1]).lower() if path else ""
    if any(word in last for word in _SENSITIVE_WORDS):
        return " (value not shown)"
    shown = mask_url(value) if isinstance(value, str) else value
    text = repr(shown)
    return f" (got {text[:_MAX_SHOWN]}{'…' if len(text) > _MAX_SHOWN else ''})"


def _has_path(data: object, path: Path) -> bool:
    node = data
    for part in path:
        if isinstance(node, Mapping) and isinstance(part, str) and part in node:
            node = node[part]
            continue
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            continue
        return False
    return True
