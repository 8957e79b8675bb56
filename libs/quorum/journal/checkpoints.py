"""Signed checkpoints of the chain (size, head hash, time) and where they are kept.

A checkpoint says "on <time> the journal had <size> entries and its last hash was
<head>", signed with Ed25519. Kept outside the database, checkpoints make the two
attacks a hash chain alone cannot see detectable: cutting off the tail (the chain is
shorter than a checkpoint) and rewriting the whole chain consistently (its hash at a
checkpoint's size differs). Entries after the newest checkpoint are not covered: the
checkpoint interval is the truncation window.

:class:`DirectoryCheckpointStore` writes one JSON file per checkpoint, atomically and
never over an existing file (temporary file, fsync, ``os.link`` to the final name, which
fails instead of replacing). :class:`~quorum.journal.objectstore.ObjectStoreCheckpointStore`
is the production counterpart (S3, optionally with Object Lock retention);
:func:`~quorum.journal.store_factory.build_checkpoint_store` chooses between them.
"""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol, Self, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from quorum.errors import ConfigError, JournalIntegrityError
from quorum.journal.hashing import checkpoint_message
from quorum.journal.signers import CheckpointSigner, key_id
from quorum.store import sqlite_file

_HEX64 = r"^[0-9a-f]{64}$"
_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$"
_BASE64 = r"^[A-Za-z0-9+/]+={0,2}$"
_JOURNAL_ID = r"^[0-9a-f]{32}$"
FILE_PREFIX = "checkpoint-"


class CheckpointUnreadable(JournalIntegrityError):
    """A stored checkpoint does not parse; ``name`` is its file (or object) name."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        super().__init__(f"checkpoint {name}: unreadable ({reason}); expected a signed checkpoint")


class Anchor(BaseModel):
    """The chain's hash at an earlier size, signed with a version 2 checkpoint: evidence
    for naming where a consistent rewrite begins."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    size: int = Field(ge=1)
    hash: str = Field(pattern=_HEX64)


class Checkpoint(BaseModel):
    """One signed statement of the chain's size and head."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    version: Literal[1, 2] = 1
    journal: str | None = Field(default=None, pattern=_JOURNAL_ID)
    """The id of the journal it was taken of (version 2; signed); version 1 has none."""
    size: int = Field(ge=1)
    head: str = Field(pattern=_HEX64)
    time: str = Field(pattern=_TIME)
    signer: str = Field(min_length=1, max_length=200)
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    public_key: str = Field(pattern=_BASE64)
    """The raw public key that signed, base64 — informative; verify uses trusted keys."""
    signature: str = Field(pattern=_BASE64)
    anchors: tuple[Anchor, ...] = ()
    """Version 2: the chain's hash at ``size - 2**k`` (k = 0, 1, …), signed."""
    _source: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _versioned(self) -> Self:
        if (self.version == 2) != (self.journal is not None):
            raise ValueError("journal: required by version 2 checkpoints, absent from version 1")
        if self.version == 1 and self.anchors:
            raise ValueError("anchors: version 1 checkpoints have none")
        return self

    @property
    def name(self) -> str:
        """The file name this checkpoint is stored under."""
        return f"{FILE_PREFIX}{self.size:012d}-{self.head[:16]}.json"

    @property
    def label(self) -> str:
        """Where it was loaded from (a file name), else :attr:`name`; used in reports."""
        return self._source or self.name

    def from_source(self, source: str) -> Checkpoint:
        """This checkpoint, remembering the file (or object) it was read from."""
        self._source = source
        return self

    def message(self) -> bytes:
        marks = [(a.size, a.hash) for a in self.anchors]
        return checkpoint_message(self.size, self.head, self.time, self.journal, marks)

    def public_key_bytes(self) -> bytes:
        return base64.b64decode(self.public_key)

    def signature_bytes(self) -> bytes:
        return base64.b64decode(self.signature)


DEFAULT_CHECKPOINT_DIR = Path("var/journal-checkpoints")


def default_checkpoint_dir(database_url: str, journal_id: str | None = None) -> Path:
    """Where a database's checkpoints go by default: ``<file>-checkpoints`` next to a
    SQLite file (the file is the journal), else ``var/journal-checkpoints/<journal id>``
    (production: an object store): two databases used from one working directory never
    share a directory. Without a journal id (a database not migrated yet) a non-SQLite
    URL has no default: :class:`ConfigError`."""
    database = sqlite_file(database_url)
    if database is not None:
        return Path(f"{database}-checkpoints")
    if journal_id is None:
        raise ConfigError(
            "journal checkpoints: the database has no journal id (journal_meta, migration "
            "0010): migrate it, or set journal.checkpoint_store explicitly"
        )
    return DEFAULT_CHECKPOINT_DIR / journal_id


def sign_checkpoint(
    size: int,
    head: str,
    time: str,
    signer: CheckpointSigner,
    journal: str | None = None,
    anchors: Sequence[tuple[int, str]] = (),
) -> Checkpoint:
    """A checkpoint of ``size`` entries ending in ``head`` at canonical ``time``, of the
    journal ``journal`` (its id; None writes a version 1 checkpoint, without anchors)."""
    if journal is None:
        anchors = ()
    message = checkpoint_message(size, head, time, journal, anchors)
    signed = signer.sign(message)
    return Checkpoint(
        version=1 if journal is None else 2,
        journal=journal,
        size=size,
        head=head,
        time=time,
        signer=signer.name,
        key_id=key_id(signed.public_key),
        public_key=base64.b64encode(signed.public_key).decode("ascii"),
        signature=base64.b64encode(signed.signature).decode("ascii"),
        anchors=tuple(Anchor(size=at, hash=digest) for at, digest in anchors),
    )


@runtime_checkable
class CheckpointStore(Protocol):
    """Write-once storage of checkpoints, separate from the journal's database."""

    def put(self, checkpoint: Checkpoint) -> bool:
        """Store ``checkpoint``; ``False`` if one with the same size and head exists.

        Raises :class:`JournalIntegrityError` when a checkpoint of the same size with a
        different head exists (a fork).
        """
        ...

    def load(self) -> list[Checkpoint]:
        """Every checkpoint, ordered by (time, size); an unreadable one is a
        :class:`JournalIntegrityError` naming it."""
        ...


class DirectoryCheckpointStore:
    """One ``checkpoint-<size>-<head prefix>.json`` file per checkpoint in ``path``."""

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)

    def __repr__(self) -> str:
        return f"DirectoryCheckpointStore(path={str(self._path)!r})"

    @property
    def path(self) -> Path:
        return self._path

    def put(self, checkpoint: Checkpoint) -> bool:
        self._path.mkdir(parents=True, exist_ok=True)
        for existing in self._path.glob(f"{FILE_PREFIX}{checkpoint.size:012d}-*.json"):
            other = self._read(existing)
            if other.journal != checkpoint.journal and None not in (
                other.journal,
                checkpoint.journal,
            ):
                raise JournalIntegrityError(
                    f"checkpoint {existing.name} belongs to journal {other.journal}, not to "
                    f"journal {checkpoint.journal}: two databases share {self._path}"
                )
            if other.head != checkpoint.head:
                raise JournalIntegrityError(
                    f"checkpoint fork: {existing.name} has head {other.head} for size "
                    f"{checkpoint.size}, the journal now has head {checkpoint.head}"
                )
            return False
        data = checkpoint.model_dump_json(indent=2).encode("utf-8") + b"\n"
        final = self._path / checkpoint.name
        fd, temporary = tempfile.mkstemp(dir=self._path, prefix=".tmp-", suffix=".json")
        try:
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(temporary, final)
            except FileExistsError:
                return False
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        self._sync_directory()
        return True

    def load(self) -> list[Checkpoint]:
        if not self._path.is_dir():
            return []
        found = [self._read(path) for path in sorted(self._path.glob(f"{FILE_PREFIX}*.json"))]
        return sorted(found, key=lambda cp: (cp.time, cp.size))

    def _read(self, path: Path) -> Checkpoint:
        try:
            return Checkpoint.model_validate_json(path.read_bytes()).from_source(path.name)
        except ValidationError as exc:
            raise CheckpointUnreadable(path.name, f"{exc.error_count()} invalid fields") from None
        except (OSError, ValueError) as exc:
            raise CheckpointUnreadable(path.name, type(exc).__name__) from None

    def _sync_directory(self) -> None:
        fd = os.open(self._path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
