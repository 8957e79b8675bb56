"""The declared flag schema: every flag's name, type, default and allowed values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from quorum.errors import ConfigError

FlagValue = bool | str
"""A flag's value: a boolean, or one of a string flag's allowed values."""

FLAG_ENV_PREFIX = "QUORUM_FLAG_"
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


@dataclass(frozen=True, slots=True)
class FlagSpec:
    """One flag. ``type`` is ``bool`` or ``str``; a ``str`` flag lists its ``allowed`` values."""

    name: str
    type: type[bool] | type[str]
    default: FlagValue
    description: str
    allowed: tuple[str, ...] = ()

    @property
    def env_var(self) -> str:
        """The variable that pins this flag: ``trading.mode`` → ``QUORUM_FLAG_TRADING__MODE``."""
        return FLAG_ENV_PREFIX + self.name.replace(".", "__").upper()

    @property
    def expected(self) -> str:
        if self.type is bool:
            return "a boolean (true or false)"
        return "one of " + ", ".join(repr(value) for value in self.allowed)

    def validate(self, value: object, source: str | None = None) -> FlagValue:
        """Accept a typed value (``True``, ``"live"``); anything else is a ConfigError."""
        if self.type is bool and isinstance(value, bool):
            return value
        if self.type is str and isinstance(value, str) and value in self.allowed:
            return value
        raise self._refusal(value, source)

    def parse(self, text: str, source: str | None = None) -> FlagValue:
        """Accept text from the environment or a command line (``true``/``off``/``live``)."""
        if self.type is bool:
            lowered = text.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise self._refusal(text, source)
        return self.validate(text.strip(), source)

    def _refusal(self, value: object, source: str | None) -> ConfigError:
        where = f" [{source}]" if source else ""
        return ConfigError(f"flag {self.name!r}: expected {self.expected} (got {value!r}){where}")


FLAG_SPECS: Mapping[str, FlagSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            FlagSpec(
                "trading.mode",
                str,
                "paper",
                "paper simulates fills; live sends orders to the exchange",
                ("paper", "live"),
            ),
            FlagSpec("trading.live_confirm", bool, False, "explicit consent to trade real funds"),
            FlagSpec("kill_switch", bool, False, "stop opening positions; flatten on engage"),
            FlagSpec(
                "analysis.enabled",
                bool,
                True,
                "run scans and agent analysis; false: the pipeline plans no scans and starts "
                "no analysis (open positions are still monitored)",
            ),
            FlagSpec("llm.allow_paid", bool, False, "allow calls to paid LLM providers"),
        )
    }
)


def flag_spec(name: str) -> FlagSpec:
    """The spec of ``name``; an unknown name is a ConfigError listing the known flags."""
    spec = FLAG_SPECS.get(name)
    if spec is None:
        known = ", ".join(sorted(FLAG_SPECS))
        raise ConfigError(f"unknown flag {name!r}: known flags are {known}")
    return spec


def validate_defaults(defaults: Mapping[str, FlagValue] | None) -> dict[str, FlagValue]:
    """The spec defaults, overridden by ``defaults`` (e.g. from settings), each validated."""
    values: dict[str, FlagValue] = {name: spec.default for name, spec in FLAG_SPECS.items()}
    for name, value in (defaults or {}).items():
        values[name] = flag_spec(name).validate(value, "defaults")
    return values
