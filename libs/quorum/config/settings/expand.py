"""``${VAR}`` and ``${VAR:-default}`` expansion of YAML string values from the environment.

``$${`` writes a literal ``${``. A variable without a default that is not set is an
error naming the YAML key path and the variable; ``:-default`` applies when the
variable is unset *or* empty (shell semantics).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from quorum.errors import ConfigError

_REFERENCE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")

Path = tuple[str | int, ...]


def dotted(path: Path) -> str:
    """``("trading", "exchange", "id")`` → ``trading.exchange.id``; list indices as ``[i]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "(top level)"


def expand_string(text: str, env: Mapping[str, str], path: Path) -> str:
    """Expand every variable reference in ``text``."""
    out: list[str] = []
    i = 0
    while (j := text.find("$", i)) >= 0:
        out.append(text[i:j])
        if text.startswith("$${", j):
            out.append("${")
            i = j + 3
            continue
        if not text.startswith("${", j):
            out.append("$")
            i = j + 1
            continue
        match = _REFERENCE.match(text, j)
        if match is None:
            end = text.find("}", j)
            shown = text[j : end + 1] if end >= 0 else text[j:]
            raise ConfigError(
                f"{dotted(path)}: malformed variable reference {shown!r} "
                "(expected ${NAME} or ${NAME:-default}; write $${ for a literal ${)"
            )
        out.append(_resolve(match["name"], match["default"], env, path))
        i = match.end()
    out.append(text[i:])
    return "".join(out)


def _resolve(name: str, default: str | None, env: Mapping[str, str], path: Path) -> str:
    value = env.get(name)
    if value is not None and (value != "" or default is None):
        return value
    if default is not None:
        return default
    raise ConfigError(
        f"{dotted(path)}: environment variable {name} is not set "
        f"(referenced as ${{{name}}}; set it or give a default: ${{{name}:-default}})"
    )


def expand_tree(value: object, env: Mapping[str, str], path: Path = ()) -> object:
    """Return a copy of a parsed YAML tree with every string value expanded."""
    if isinstance(value, str):
        return expand_string(value, env, path)
    if isinstance(value, dict):
        expanded: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ConfigError(
                    f"{dotted(path)}: keys must be strings (got {type(key).__name__} {key!r})"
                )
            expanded[key] = expand_tree(item, env, (*path, key))
        return expanded
    if isinstance(value, list):
        return [expand_tree(item, env, (*path, index)) for index, item in enumerate(value)]
    return value
