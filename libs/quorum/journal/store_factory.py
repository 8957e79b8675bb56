"""Choosing the checkpoint store from the settings: a directory or an S3 object store.

``journal.checkpoint_store`` is ``dir:PATH`` or ``s3://bucket/prefix``; without it
``journal.checkpoint_dir`` (the older spelling of ``dir:PATH``) and then the default
directory next to the database (SQLite) or ``var/journal-checkpoints/<journal id>``
apply. The S3 client is boto3's, configured from
``journal.s3`` with credentials resolved through the SecretsProvider (or boto3's
default chain when no references are set); boto3 is imported only when an object store
is configured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quorum.clock import Clock, SystemClock
from quorum.config.settings.journal import CHECKPOINT_STORE_PATTERN, JournalS3Settings
from quorum.errors import ConfigError
from quorum.journal.checkpoints import (
    CheckpointStore,
    DirectoryCheckpointStore,
    default_checkpoint_dir,
)
from quorum.journal.objectstore import ObjectLock, ObjectStoreCheckpointStore

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from quorum.config.settings.journal import JournalSettings
    from quorum.ports import SecretsProvider


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """A parsed ``checkpoint_store`` value: a directory, or an S3 bucket and prefix."""

    scheme: str
    """``dir`` or ``s3``."""
    path: Path | None = None
    bucket: str | None = None
    prefix: str = ""


def parse_store_location(value: str) -> StoreLocation:
    """Parse ``dir:PATH``, ``s3://bucket[/prefix]`` or a bare path (a directory)."""
    if value.startswith("s3://"):
        if not re.fullmatch(CHECKPOINT_STORE_PATTERN, value):
            raise ConfigError(
                f"checkpoint store {value!r}: expected s3://bucket/prefix with a bucket of "
                "3-63 lower-case letters, digits, dots or hyphens"
            )
        bucket, _, prefix = value.removeprefix("s3://").partition("/")
        return StoreLocation("s3", bucket=bucket, prefix=prefix.strip("/"))
    path = value.removeprefix("dir:")
    if not path or "://" in path:
        raise ConfigError(f"checkpoint store {value!r}: expected dir:PATH or s3://bucket/prefix")
    return StoreLocation("dir", path=Path(path))


def build_checkpoint_store(
    journal_settings: JournalSettings,
    secrets: SecretsProvider,
    database_url: str,
    *,
    clock: Clock | None = None,
    client: S3Client | None = None,
    journal_id: str | None = None,
) -> CheckpointStore:
    """The checkpoint store the settings choose (see the module docstring).

    ``journal_id`` (:func:`~quorum.journal.meta.journal_id`) names the default directory
    of a non-SQLite database, ``var/journal-checkpoints/<journal id>``.

    ``clock`` dates Object Lock retention (default: the system clock); ``client``
    replaces the S3 client built from ``journal_settings.s3`` (tests, custom sessions).
    """
    configured = journal_settings.checkpoint_store
    if configured is None:
        directory = journal_settings.checkpoint_dir
        return DirectoryCheckpointStore(
            Path(directory)
            if directory is not None
            else default_checkpoint_dir(database_url, journal_id)
        )
    location = parse_store_location(configured)
    if location.scheme == "dir":
        assert location.path is not None
        return DirectoryCheckpointStore(location.path)
    assert location.bucket is not None
    s3 = journal_settings.s3
    lock = None
    if s3.object_lock_mode is not None and s3.object_lock_days is not None:
        lock = ObjectLock(s3.object_lock_mode, s3.object_lock_days)
    return ObjectStoreCheckpointStore(
        client if client is not None else s3_client(s3, secrets),
        location.bucket,
        location.prefix,
        clock=clock if clock is not None else SystemClock(),
        object_lock=lock,
        conditional_writes=s3.conditional_writes,
    )


def s3_client(settings: JournalS3Settings, secrets: SecretsProvider) -> S3Client:
    """A boto3 S3 client for ``settings``; credential references resolved by ``secrets``."""
    import boto3  # only when an object store is configured
    from botocore.config import Config

    credentials: dict[str, Any] = {}
    if settings.access_key_id_ref is not None and settings.secret_access_key_ref is not None:
        credentials["aws_access_key_id"] = secrets.get(
            settings.access_key_id_ref
        ).get_secret_value()
        credentials["aws_secret_access_key"] = secrets.get(
            settings.secret_access_key_ref
        ).get_secret_value()
        if settings.session_token_ref is not None:
            credentials["aws_session_token"] = secrets.get(
                settings.session_token_ref
            ).get_secret_value()
    config = Config(
        connect_timeout=settings.connect_timeout_s,
        read_timeout=settings.read_timeout_s,
        retries={"max_attempts": settings.max_attempts, "mode": "standard"},
        s3={"addressing_style": settings.addressing_style},
    )
    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=settings.endpoint_url,
        region_name=settings.region,
        config=config,
        **credentials,
    )
