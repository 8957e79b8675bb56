"""What ``verify`` found: intact, or the first damage with its kind and sequence number."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from quorum.errors import JournalIntegrityError


class DamageKind(StrEnum):
    """The kinds of damage ``verify`` names (rules in ``libs/quorum/journal/README.md``)."""

    MODIFIED = "modified"
    """An entry's stored fields no longer hash to its stored hash (or it was re-hashed)."""
    DELETED = "deleted"
    """Entries are missing: a gap in seq, or later entries renumbered to close it."""
    REORDERED = "reordered"
    """Entries were moved: the entry originally at this seq sits further down."""
    INSERTED = "inserted"
    """Entries were added in the middle (later entries were pushed down), or a seq
    appears out of order."""
    TRUNCATED = "truncated"
    """The chain is shorter than a signed checkpoint says it was."""
    REWRITTEN = "rewritten"
    """The chain's hash at a checkpoint's size differs from the signed head: the chain
    was rewritten (consistently) after that checkpoint was taken."""
    CHECKPOINT_FORGED = "checkpoint_forged"
    """A checkpoint's signature does not verify with a trusted key, or it is unreadable."""
    CHECKPOINT_SHRUNK = "checkpoint_shrunk"
    """A later checkpoint claims a smaller size than an earlier one."""
    CHECKPOINT_FORK = "checkpoint_fork"
    """Two validly signed checkpoints have the same size and different heads."""
    CHECKPOINT_FOREIGN = "checkpoint_foreign"
    """A checkpoint was signed for another journal (another database's id): two
    databases share a checkpoint store, or verify was pointed at the wrong one."""
    CHECKPOINTS_MISSING = "checkpoints_missing"
    """The journal recorded that it was checkpointed, and the store holds none."""


class VerifyReport(BaseModel):
    """The outcome of one verification; ``ok`` is True only when nothing is wrong."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ok: bool
    count: int
    """Entries walked (up to the first damage, or all of them)."""
    head_hash: str
    """The stored hash of the last intact entry (the genesis hash for an empty chain)."""
    first_bad_seq: int | None = None
    damage: DamageKind | None = None
    detail: str = ""
    checkpoints_checked: int = 0
    latest_checkpoint_size: int | None = None
    checkpoint: str | None = None
    """The checkpoint file the damage concerns, when it concerns one."""
    journal_id: str | None = None
    """The journal's identity (``journal_meta``), when the database has one."""
    trusted_keys: bool = False
    """True when signatures were checked against configured public keys; False when
    only against the key embedded in the checkpoints (consistency, not authenticity)."""

    def summary(self) -> str:
        if self.ok:
            return f"journal intact: {self.count} entries, head {self.head_hash}"
        where = "" if self.first_bad_seq is None else f" at seq {self.first_bad_seq}"
        checkpoint = "" if self.checkpoint is None else f" [checkpoint {self.checkpoint}]"
        damage = self.damage.value if self.damage is not None else "damage"
        return f"journal damaged: {damage}{where}{checkpoint}: {self.detail}"

    def raise_for_damage(self) -> None:
        """Raise :class:`JournalIntegrityError` with :meth:`summary` unless ``ok``."""
        if not self.ok:
            raise JournalIntegrityError(self.summary())
