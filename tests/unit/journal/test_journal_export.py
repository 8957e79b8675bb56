"""The JSON-lines export carries every stored field, so hashes can be recomputed from it."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine
from tests.unit.journal.journal_kit import fill, make_journal

from quorum.clock import ReplayClock
from quorum.journal import GENESIS_HASH, entry_hash


def test_the_export_has_one_line_per_entry_that_rehashes(
    engine: Engine, clock: ReplayClock, tmp_path: Path
) -> None:
    journal = make_journal(engine, clock)
    fill(journal, 4)

    count = journal.export_jsonl(tmp_path / "out" / "journal.jsonl")

    lines = [
        json.loads(line) for line in (tmp_path / "out" / "journal.jsonl").read_text().splitlines()
    ]
    assert count == len(lines) == 4
    prev = GENESIS_HASH
    for line in lines:
        fields = {k: line[k] for k in ("seq", "time", "kind", "actor", "run_id", "payload")}
        assert line["prev_hash"] == prev
        assert line["hash"] == entry_hash(prev_hash=prev, **fields)
        prev = line["hash"]
    assert not list((tmp_path / "out").glob(".*.tmp"))
