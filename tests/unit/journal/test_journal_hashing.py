"""The entry hash: a fixed format, every field covered, no field can bleed into another."""

from __future__ import annotations

import hashlib

import pytest

from quorum.journal import DOMAIN_TAG, GENESIS_HASH, entry_hash, framed_hash
from quorum.journal.rows import StoredRow
from quorum.journal.verify import _Walk

TIME = "2025-03-01T12:00:00.000000Z"


def test_the_hash_is_sha256_of_the_separated_fields() -> None:
    expected = hashlib.sha256(
        "\x1f".join([DOMAIN_TAG, "7", TIME, "scan", "agent", "run-1", GENESIS_HASH, "{}"]).encode()
    ).hexdigest()

    assert entry_hash(7, TIME, "scan", "agent", "run-1", GENESIS_HASH, "{}") == expected


def test_a_missing_run_id_differs_from_an_empty_one() -> None:
    assert framed_hash(1, TIME, "scan", "a", None, GENESIS_HASH, "{}") != framed_hash(
        1, TIME, "scan", "a", "", GENESIS_HASH, "{}"
    )


@pytest.mark.parametrize("field", ["time", "kind", "actor", "run_id", "prev_hash", "payload"])
def test_moving_text_across_a_field_boundary_is_not_a_valid_entry(field: str) -> None:
    fields = {
        "time": TIME,
        "kind": "scan",
        "actor": "a",
        "run_id": "r",
        "prev_hash": GENESIS_HASH,
        "payload": "{}",
    }
    fields[field] += "\x1fextra"

    assert framed_hash(1, **fields) is None  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="separator"):
        entry_hash(1, **fields)  # type: ignore[arg-type]


def test_the_verifier_loop_hashes_exactly_like_framed_hash() -> None:
    prev = GENESIS_HASH
    rows = []
    for seq, run_id in ((1, None), (2, "run-ü"), (3, "")):
        digest = entry_hash(seq, TIME, "fill", "actor", run_id, prev, '{"x":"ü"}')
        rows.append(StoredRow(seq, TIME, "fill", "actor", run_id, '{"x":"ü"}', prev, digest))
        prev = digest
    walk = _Walk(sizes=[2])

    assert walk.feed(rows)
    assert (walk.count, walk.head, walk.at) == (3, prev, {2: rows[1].hash})
