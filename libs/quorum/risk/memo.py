"""A small bounded cache of values derived from frozen inputs, keyed by their identity.

The risk gate is called many times with the same frozen settings, rules state, portfolio
and market values; what depends only on those is computed once per combination. Keys are
the inputs' ``id``s (plus any small hashable values) and each entry keeps its inputs
alive, so an id cannot be reused by another object while its entry exists (a hit is
always the same objects). Pure: no I/O,
no clock; the inputs are never mutated.
"""

from __future__ import annotations

from collections.abc import Hashable


class IdentityMemo[V]:
    """Values keyed by the identity of the frozen objects they were derived from."""

    __slots__ = ("_entries", "_maxsize")

    def __init__(self, maxsize: int) -> None:
        self._entries: dict[tuple[Hashable, ...], tuple[tuple[object, ...], V]] = {}
        self._maxsize = maxsize

    def get(self, key: tuple[Hashable, ...]) -> V | None:
        """The value stored for ``key`` (the inputs' ids in a fixed order), else None."""
        entry = self._entries.get(key)
        return None if entry is None else entry[1]

    def put(self, key: tuple[Hashable, ...], inputs: tuple[object, ...], value: V) -> V:
        """Store ``value`` for ``inputs`` (whose ids make ``key``); the oldest entry goes first."""
        entries = self._entries
        if len(entries) >= self._maxsize:
            try:
                del entries[next(iter(entries))]
            except (KeyError, RuntimeError, StopIteration):  # another thread got there first
                entries.clear()
        entries[key] = (inputs, value)
        return value

    def __len__(self) -> int:
        return len(self._entries)
