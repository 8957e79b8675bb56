"""The rules every backend applies before writing a flip."""

from __future__ import annotations

from collections.abc import Mapping

from quorum.config.flags.ports import LiveGuard
from quorum.config.flags.spec import FlagValue, flag_spec
from quorum.errors import ConfigError


def check_flip(name: str, value: object, actor: str, reason: str) -> FlagValue:
    """Validate a requested flip; return the typed new value."""
    new = flag_spec(name).validate(value)
    if not actor.strip():
        raise ConfigError(f"flag {name!r}: actor must not be empty (who is flipping the flag)")
    if not reason.strip():
        raise ConfigError(f"flag {name!r}: reason must not be empty (why the flag is flipped)")
    return new


def guard_flip(
    name: str, new: FlagValue, current: Mapping[str, FlagValue], guard: LiveGuard
) -> None:
    """Run the live guard when the flip turns trading live; it raises to refuse."""
    if name == "trading.mode" and new == "live":
        guard({**current, name: new})
