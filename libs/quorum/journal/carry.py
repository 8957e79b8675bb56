"""Carrying a journal's checkpoints along with a backup of its database, and back.

A backup (``quorum db backup``) copies the checkpoints of the database's default
directory store into ``<backup file>-checkpoints``; a restore copies them from there into
the restored database's default directory. Each checkpoint goes through
:meth:`CheckpointStore.put` of the target: atomic, never overwriting, and a different
head for a stored size is refused as a fork. The restored database keeps its journal id
(``journal_meta`` travels with the data), so its checkpoints still name it. Object
stores (``s3://``) are not copied: they are write-once and keyed by the configured
prefix, which the restored database reaches through the same setting.
"""

from __future__ import annotations

from pathlib import Path

from quorum.journal.checkpoints import CheckpointStore, DirectoryCheckpointStore


def backup_checkpoint_dir(backup_file: Path) -> Path:
    """Where a backup's checkpoints are kept: ``<backup file>-checkpoints``."""
    return Path(f"{backup_file}-checkpoints")


def copy_checkpoints(source: CheckpointStore, target: CheckpointStore) -> tuple[int, int]:
    """Put every checkpoint of ``source`` into ``target``: (found, newly written)."""
    found = source.load()
    written = sum(1 for checkpoint in found if target.put(checkpoint))
    return len(found), written


def copy_directory(source: Path, target: Path) -> tuple[int, int]:
    """:func:`copy_checkpoints` between two directories; (0, 0) when ``source`` is absent."""
    if not source.is_dir():
        return 0, 0
    return copy_checkpoints(DirectoryCheckpointStore(source), DirectoryCheckpointStore(target))
