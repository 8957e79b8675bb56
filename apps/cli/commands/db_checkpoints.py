"""The checkpoints half of ``quorum db backup|restore`` (see :mod:`quorum.journal.carry`)."""

from __future__ import annotations

from pathlib import Path

from quorum.errors import QuorumError
from quorum.journal import backup_checkpoint_dir, copy_directory, default_checkpoint_dir, read_meta
from quorum.store import create_engine_for


def _default_dir(url: str, checkpoints: Path | None) -> tuple[Path | None, str | None]:
    """The database's checkpoint directory and ``checkpointed`` mark (None: none known)."""
    engine = create_engine_for(url)
    try:
        meta = read_meta(engine)
    finally:
        engine.dispose()
    if checkpoints is not None:
        return checkpoints, meta.checkpointed
    try:
        return default_checkpoint_dir(url, meta.journal_id), meta.checkpointed
    except QuorumError:
        return None, meta.checkpointed


def carry_out(url: str, backup: Path, checkpoints: Path | None) -> str:
    """Copy the database's checkpoints next to ``backup``; a line saying what happened."""
    source, checkpointed = _default_dir(url, checkpoints)
    target = backup_checkpoint_dir(backup)
    found, _ = copy_directory(source, target) if source is not None else (0, 0)
    if found:
        return f"checkpoints: {found} copied to {target}"
    if checkpointed is not None:
        return (
            f"checkpoints: none found at {source} although the journal was checkpointed: "
            "copy them with the backup (--checkpoints DIR), or verify a restore with "
            "`quorum journal verify --checkpoints <where they are>`"
        )
    return "checkpoints: the journal has none yet"


def carry_in(url: str, backup: Path, checkpoints: Path | None) -> str:
    """Copy the backup's checkpoints to the restored database's directory; what happened."""
    source = backup_checkpoint_dir(backup)
    target, checkpointed = _default_dir(url, checkpoints)
    if target is None:
        return f"checkpoints: restored database has no journal id; they stay in {source}"
    found, written = copy_directory(source, target)
    if found:
        return f"checkpoints: {found} from {source} in {target} ({written} new)"
    if checkpointed is not None:
        return (
            f"checkpoints: none came with the backup ({source}): verify with "
            f"`quorum journal verify --db URL --checkpoints <the original's checkpoints>`"
        )
    return "checkpoints: the journal has none yet"
