"""Audit-journal settings: who signs checkpoints, where they go and how often."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from quorum.config.settings.base import ComponentSettings
from quorum.config.settings.refs import SecretRef

CHECKPOINT_STORE_PATTERN = (
    r"^(dir:.+|s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/[A-Za-z0-9!_.*'()\-/]*)?)$"
)
"""``dir:PATH`` or ``s3://bucket[/prefix]`` (an S3 bucket name: 3–63 characters of
lower-case letters, digits, dots and hyphens; a prefix of S3's safe key characters)."""


class JournalS3Settings(ComponentSettings):
    """How to reach an S3-compatible object store (AWS S3, MinIO, Ceph, GCS interop).

    Credentials are *references* resolved by the SecretsProvider (``env:NAME`` or
    ``vault:path#key``); give both keys or neither (neither: boto3's default chain,
    e.g. an instance or pod role). ``object_lock_mode`` with ``object_lock_days``
    stores every checkpoint under S3 Object Lock retention (WORM; the bucket must have
    Object Lock enabled). ``conditional_writes`` sends ``If-None-Match: *`` so that a
    checkpoint is never overwritten even by a racing writer; switch it off only for a
    store that rejects the header.
    """

    endpoint_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    """None: AWS's own endpoint for ``region``; otherwise e.g. ``http://minio:9000``."""
    region: str | None = Field(default=None, pattern=r"^[a-z0-9\-]{2,40}$")
    access_key_id_ref: SecretRef | None = None
    secret_access_key_ref: SecretRef | None = None
    session_token_ref: SecretRef | None = None
    addressing_style: Literal["auto", "path", "virtual"] = "auto"
    object_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] | None = None
    object_lock_days: int | None = Field(default=None, ge=1, le=36_500)
    conditional_writes: bool = True
    connect_timeout_s: float = Field(default=5.0, gt=0, le=120)
    read_timeout_s: float = Field(default=15.0, gt=0, le=600)
    max_attempts: int = Field(default=3, ge=1, le=10)

    @model_validator(mode="after")
    def _pairs(self) -> Self:
        if (self.access_key_id_ref is None) != (self.secret_access_key_ref is None):
            raise ValueError(
                "access_key_id_ref and secret_access_key_ref: give both or neither "
                "(neither: boto3's default credential chain)"
            )
        if self.session_token_ref is not None and self.access_key_id_ref is None:
            raise ValueError("session_token_ref: needs access_key_id_ref and secret_access_key_ref")
        if (self.object_lock_mode is None) != (self.object_lock_days is None):
            raise ValueError("object_lock_mode and object_lock_days: give both or neither")
        return self


class JournalSettings(ComponentSettings):
    """Checkpoint signing, where checkpoints go, and their cadence.

    ``signing_key_ref`` names an Ed25519 private key held by the SecretsProvider
    (``env:NAME`` or ``vault:path#key``); production keeps it, and the checkpoint
    store, out of reach of whoever can write the database. Without it the embedded
    default generates a local key file on first start — fine for a laptop, not for
    proving anything to a third party. The checkpoint interval is the truncation window.

    ``checkpoint_store`` is ``dir:PATH`` or ``s3://bucket/prefix`` (reached with
    ``s3``); ``checkpoint_dir`` is the older spelling of ``dir:PATH`` (give one of the
    two). Neither: a directory next to a SQLite database, else
    ``var/journal-checkpoints/<journal id>`` (the database's own id, ``journal_meta``).
    """

    signing_key_ref: str | None = Field(default=None, min_length=1)
    local_key_path: str = Field(default="var/journal-signing.key", min_length=1)
    checkpoint_dir: str | None = Field(default=None, min_length=1)
    checkpoint_store: str | None = Field(default=None, pattern=CHECKPOINT_STORE_PATTERN)
    s3: JournalS3Settings = Field(default_factory=JournalS3Settings)
    checkpoint_every_n: int = Field(default=1000, ge=1)
    checkpoint_every_s: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _one_location(self) -> Self:
        if self.checkpoint_dir is not None and self.checkpoint_store is not None:
            raise ValueError(
                "checkpoint_dir and checkpoint_store: give one (checkpoint_dir: PATH is "
                "checkpoint_store: dir:PATH)"
            )
        return self
