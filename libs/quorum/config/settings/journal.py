"""Audit-journal settings: who signs checkpoints, where they go and how often."""

from __future__ import annotations

from pydantic import Field

from quorum.config.settings.base import ComponentSettings


class JournalSettings(ComponentSettings):
    """Checkpoint signing and cadence.

    ``signing_key_ref`` names an Ed25519 private key held by the SecretsProvider
    (``env:NAME`` or ``vault:path#key``); production keeps it, and the checkpoint
    directory, out of reach of whoever can write the database. Without it the embedded
    default generates a local key file on first start — fine for a laptop, not for
    proving anything to a third party. The checkpoint interval is the truncation window.
    """

    signing_key_ref: str | None = Field(default=None, min_length=1)
    local_key_path: str = Field(default="var/journal-signing.key", min_length=1)
    checkpoint_dir: str | None = Field(default=None, min_length=1)
    checkpoint_every_n: int = Field(default=1000, ge=1)
    checkpoint_every_s: float = Field(default=60.0, gt=0)
