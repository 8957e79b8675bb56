"""The flag store and change-recorder interfaces, and the live guard a flip goes through."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, runtime_checkable

from quorum.config.flags.model import FlagChange, FlagState
from quorum.config.flags.spec import FlagValue

LiveGuard = Callable[[Mapping[str, FlagValue]], None]
"""Called with the flag values a flip *would* produce when it sets ``trading.mode`` to
``live``; raises ConfigError to refuse. See :func:`quorum.config.make_live_guard`."""


@runtime_checkable
class FlagChangeRecorder(Protocol):
    """Receives every successful flip (audit log, journal)."""

    def record(self, change: FlagChange) -> None: ...


@runtime_checkable
class FlagStore(Protocol):
    """Runtime-flippable feature flags, validated against the declared schema."""

    def get(self, name: str) -> FlagValue:
        """The effective value of ``name`` (unknown names are a ConfigError)."""
        ...

    def all(self) -> dict[str, FlagValue]:
        """Every declared flag with its effective value."""
        ...

    def states(self) -> list[FlagState]:
        """Every declared flag with its value, default and source, sorted by name."""
        ...

    def set(self, name: str, value: FlagValue, actor: str, reason: str) -> FlagChange:
        """Validate, guard, write and record one flip; nothing is written when refused."""
        ...

    def version(self) -> int:
        """A counter that grows on every flip: cheap change detection for readers."""
        ...
