"""The default flip recorder: one JSON line per change, appended under a lock and fsynced."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from pydantic import ValidationError

from quorum.config.flags.model import FlagChange
from quorum.errors import ConfigError


class JsonlFlagAuditLog:
    """Appends each :class:`FlagChange` as one JSON line to ``path`` (created on first use)."""

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)

    @property
    def path(self) -> Path:
        return self._path

    def __repr__(self) -> str:
        return f"JsonlFlagAuditLog(path={str(self._path)!r})"

    def record(self, change: FlagChange) -> None:
        line = change.model_dump_json().encode("utf-8") + b"\n"
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            written = os.write(fd, line)
            if written != len(line):
                raise ConfigError(
                    f"flag audit log {self._path}: short write ({written} of {len(line)} bytes)"
                )
            os.fsync(fd)
        finally:
            os.close(fd)

    def entries(self) -> list[FlagChange]:
        """Every recorded change, oldest first; a corrupt line is a ConfigError naming it."""
        if not self._path.exists():
            return []
        changes = []
        lines = self._path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            try:
                changes.append(FlagChange.model_validate_json(line))
            except ValidationError as exc:
                raise ConfigError(
                    f"flag audit log {self._path}: line {number} is not a flag change "
                    f"({exc.error_count()} errors)"
                ) from None
        return changes
