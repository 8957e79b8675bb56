"""JSON-lines export: one entry per line, every stored field, in seq order.

Each line carries the stored canonical ``payload`` text as ``payload`` (so the hash can
be recomputed from the export alone with :func:`quorum.journal.hashing.entry_hash`).
The file is written to a temporary name and renamed into place.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from sqlalchemy import Engine

from quorum.journal.rows import StoredRow, reader, stream_rows


def export_jsonl(engine: Engine, path: str | Path) -> int:
    """Write the journal of ``engine`` to ``path``; return the number of entries."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            with reader(engine) as conn, conn.begin():
                for rows in stream_rows(conn):
                    for row in rows:
                        stored = StoredRow._make(row)._asdict()
                        handle.write(json.dumps(stored, ensure_ascii=False) + "\n")
                    count += len(rows)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count
