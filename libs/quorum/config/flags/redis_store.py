"""Flags in Redis for cluster mode: a hash of values plus a version counter.

A flip is an optimistic transaction: ``WATCH`` both keys, read, check, then
``MULTI``/``HSET``/``INCR``/``EXEC``; a concurrent writer makes ``EXEC`` fail and the
flip is retried, so no update is lost and every flip bumps the version exactly once.
Readers in any process see a flip on their next read, without a restart.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

import redis
from redis.client import Pipeline

from quorum.clock import Clock
from quorum.config.flags.flip import check_flip, guard_flip
from quorum.config.flags.model import FlagChange, FlagState
from quorum.config.flags.ports import FlagChangeRecorder, LiveGuard
from quorum.config.flags.spec import FLAG_SPECS, FlagValue, flag_spec, validate_defaults
from quorum.errors import ConfigError

DEFAULT_MAX_ATTEMPTS = 200


class RedisFlagStore:
    """Flag values in the hash ``<prefix>:values`` (JSON-encoded); ``<prefix>:version``."""

    backend = "redis"

    def __init__(
        self,
        client: redis.Redis,
        *,
        clock: Clock,
        guard: LiveGuard,
        recorder: FlagChangeRecorder,
        defaults: Mapping[str, FlagValue] | None = None,
        key_prefix: str = "quorum:flags",
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        self._client = client
        self._clock = clock
        self._guard = guard
        self._recorder = recorder
        self._defaults = validate_defaults(defaults)
        self._values_key = f"{key_prefix}:values"
        self._version_key = f"{key_prefix}:version"
        self._max_attempts = max_attempts

    def __repr__(self) -> str:
        return f"RedisFlagStore(key_prefix={self._values_key.removesuffix(':values')!r})"

    def get(self, name: str) -> FlagValue:
        spec = flag_spec(name)
        raw = self._call(lambda: self._client.hget(self._values_key, name))
        if raw is None:
            return self._defaults[name]
        return spec.validate(self._decode(name, raw), self._source)

    def all(self) -> dict[str, FlagValue]:
        return {**self._defaults, **self._stored(self._client)}

    def states(self) -> list[FlagState]:
        stored = self._stored(self._client)
        return [
            FlagState(
                name=name,
                value=stored.get(name, self._defaults[name]),
                default=self._defaults[name],
                source=self._source if name in stored else "default",
            )
            for name in sorted(FLAG_SPECS)
        ]

    def version(self) -> int:
        raw = self._call(lambda: self._client.get(self._version_key))
        return 0 if raw is None else int(raw)

    def set(self, name: str, value: FlagValue, actor: str, reason: str) -> FlagChange:
        new = check_flip(name, value, actor, reason)
        change = self._transact(name, new, actor, reason)
        try:
            self._recorder.record(change)
        except Exception as exc:
            outcome = self._revert(change)
            raise ConfigError(
                f"flag {name!r}: the flip could not be recorded ({type(exc).__name__}); {outcome}"
            ) from exc
        return change

    @property
    def _source(self) -> str:
        return f"redis {self._values_key}"

    def _transact(self, name: str, new: FlagValue, actor: str, reason: str) -> FlagChange:
        for _ in range(self._max_attempts):
            with self._client.pipeline() as pipe:
                try:
                    pipe.watch(self._values_key, self._version_key)  # type: ignore[no-untyped-call]
                    current = {**self._defaults, **self._stored(pipe)}
                    guard_flip(name, new, current, self._guard)
                    at = self._clock.now()
                    pipe.multi()
                    pipe.hset(self._values_key, name, json.dumps(new))
                    pipe.incr(self._version_key)
                    _, version = pipe.execute()
                except redis.WatchError:
                    continue
                except redis.RedisError as exc:
                    raise self._unavailable(exc) from None
            return FlagChange(
                name=name,
                old=current[name],
                new=new,
                actor=actor,
                reason=reason,
                at=at,
                backend="redis",
                version=int(version),
            )
        raise ConfigError(
            f"flag {name!r}: not written, {self._max_attempts} attempts collided with "
            "concurrent flips; try again"
        )

    def _revert(self, change: FlagChange) -> str:
        """Undo ``change`` unless another flip has already replaced its value; say what happened."""
        unrecorded = f"the flag holds {change.new!r} unrecorded"
        for _ in range(self._max_attempts):
            with self._client.pipeline() as pipe:
                try:
                    pipe.watch(self._values_key, self._version_key)  # type: ignore[no-untyped-call]
                    if self._stored(pipe).get(change.name) != change.new:
                        return "not reverted: a later flip already replaced the value"
                    pipe.multi()
                    pipe.hset(self._values_key, change.name, json.dumps(change.old))
                    pipe.incr(self._version_key)
                    pipe.execute()
                except redis.WatchError:
                    continue
                except (redis.RedisError, ConfigError) as exc:
                    return f"reverting it failed ({type(exc).__name__}); {unrecorded}"
            return "it was reverted"
        return f"reverting it kept colliding with concurrent flips; {unrecorded}"

    def _stored(self, reader: redis.Redis | Pipeline) -> dict[str, FlagValue]:
        raw = self._call(lambda: reader.hgetall(self._values_key))
        values: dict[str, FlagValue] = {}
        for key, item in raw.items():
            name = key.decode() if isinstance(key, bytes) else str(key)
            values[name] = flag_spec(name).validate(self._decode(name, item), self._source)
        return values

    def _decode(self, name: str, raw: object) -> object:
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ConfigError(
                f"flag {name!r}: stored value in {self._values_key} is not JSON"
            ) from None

    def _call[T](self, operation: Callable[[], T]) -> T:
        try:
            return operation()
        except redis.RedisError as exc:
            raise self._unavailable(exc) from None

    def _unavailable(self, exc: redis.RedisError) -> ConfigError:
        return ConfigError(f"flag store {self._source}: Redis unavailable ({type(exc).__name__})")
