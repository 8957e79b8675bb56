"""Flags in a JSON file: atomic replace, an ``fcntl`` lock across processes, env overrides."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from quorum.clock import Clock
from quorum.config.flags.flip import check_flip, guard_flip
from quorum.config.flags.model import FlagChange, FlagState
from quorum.config.flags.ports import FlagChangeRecorder, LiveGuard
from quorum.config.flags.spec import (
    FLAG_ENV_PREFIX,
    FLAG_SPECS,
    FlagValue,
    flag_spec,
    validate_defaults,
)
from quorum.errors import ConfigError


@dataclass(frozen=True, slots=True)
class _Document:
    version: int = 0
    values: dict[str, FlagValue] = field(default_factory=dict)


class FileFlagStore:
    """Flag values in ``path`` (JSON); ``QUORUM_FLAG_<NAME>`` variables pin a flag.

    Writers take an exclusive ``flock`` on ``<path>.lock`` for the whole
    read-check-write-record sequence, so concurrent processes lose no update;
    the file is replaced atomically, so readers never see a partial write.
    """

    backend = "file"

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Clock,
        guard: LiveGuard,
        recorder: FlagChangeRecorder,
        defaults: Mapping[str, FlagValue] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._path = Path(path)
        self._lock_path = self._path.with_name(self._path.name + ".lock")
        self._clock = clock
        self._guard = guard
        self._recorder = recorder
        self._defaults = validate_defaults(defaults)
        self._env: Mapping[str, str] = os.environ if env is None else env
        self._env_overrides()

    def __repr__(self) -> str:
        return f"FileFlagStore(path={str(self._path)!r})"

    @property
    def path(self) -> Path:
        return self._path

    def get(self, name: str) -> FlagValue:
        flag_spec(name)
        return self.all()[name]

    def all(self) -> dict[str, FlagValue]:
        return self._effective(self._read())

    def states(self) -> list[FlagState]:
        document = self._read()
        overrides = self._env_overrides()
        states = []
        for name in sorted(FLAG_SPECS):
            if name in overrides:
                value, source = overrides[name], f"env {FLAG_SPECS[name].env_var}"
            elif name in document.values:
                value, source = document.values[name], f"file {self._path}"
            else:
                value, source = self._defaults[name], "default"
            states.append(
                FlagState(name=name, value=value, default=self._defaults[name], source=source)
            )
        return states

    def version(self) -> int:
        return self._read().version

    def set(self, name: str, value: FlagValue, actor: str, reason: str) -> FlagChange:
        new = check_flip(name, value, actor, reason)
        env_var = flag_spec(name).env_var
        if env_var in self._env:
            raise ConfigError(
                f"flag {name!r} is pinned by environment variable {env_var}; "
                "unset it to flip the flag at runtime"
            )
        with self._locked():
            document = self._read()
            current = self._effective(document)
            guard_flip(name, new, current, self._guard)
            change = FlagChange(
                name=name,
                old=current[name],
                new=new,
                actor=actor,
                reason=reason,
                at=self._clock.now(),
                backend="file",
                version=document.version + 1,
            )
            self._write(_Document(change.version, {**document.values, name: new}))
            try:
                self._recorder.record(change)
            except Exception as exc:
                outcome = self._undo(change, document)
                raise ConfigError(
                    f"flag {name!r}: the flip could not be recorded ({type(exc).__name__}); "
                    f"{outcome}"
                ) from exc
        return change

    def _undo(self, change: FlagChange, before: _Document) -> str:
        """Put back the values from before an unrecorded flip (the caller holds the lock)."""
        try:
            self._write(_Document(change.version + 1, before.values))
        except ConfigError as exc:
            return f"reverting it failed too ({exc}); the flag holds {change.new!r} unrecorded"
        return "it was reverted"

    def _effective(self, document: _Document) -> dict[str, FlagValue]:
        return {**self._defaults, **document.values, **self._env_overrides()}

    def _env_overrides(self) -> dict[str, FlagValue]:
        overrides: dict[str, FlagValue] = {}
        by_variable = {spec.env_var: spec for spec in FLAG_SPECS.values()}
        for variable, text in self._env.items():
            if not variable.startswith(FLAG_ENV_PREFIX):
                continue
            spec = by_variable.get(variable)
            if spec is None:
                known = ", ".join(sorted(by_variable))
                raise ConfigError(
                    f"environment variable {variable} does not name a flag (known: {known})"
                )
            overrides[spec.name] = spec.parse(text, f"env {variable}")
        return overrides

    def _read(self) -> _Document:
        try:
            text = self._path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return _Document()
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"flag file {self._path}: not valid JSON at line {exc.lineno}: {exc.msg}"
            ) from None
        if (
            not isinstance(raw, dict)
            or not isinstance(raw.get("version"), int)
            or not isinstance(raw.get("values"), dict)
        ):
            raise ConfigError(
                f"flag file {self._path}: expected an object with an integer 'version' "
                "and a 'values' object"
            )
        source = f"file {self._path}"
        values = {key: flag_spec(key).validate(item, source) for key, item in raw["values"].items()}
        return _Document(raw["version"], values)

    def _write(self, document: _Document) -> None:
        try:
            self._replace(document)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise ConfigError(f"flag file {self._path}: cannot be written ({reason})") from exc

    def _replace(self, document: _Document) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"version": document.version, "values": dict(sorted(document.values.items()))}
        fd, temporary = tempfile.mkstemp(
            prefix=f".{self._path.name}.", suffix=".tmp", dir=self._path.parent
        )
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle, indent=2)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self._path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        directory = os.open(self._path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)
