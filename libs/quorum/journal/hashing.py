"""The hash of an entry and the signed message of a checkpoint.

``hash = SHA-256(domain tag ‖ seq ‖ time ‖ kind ‖ actor ‖ [run_id ‖] prev_hash ‖ payload)``

The fields are joined by U+001F (ASCII unit separator) and encoded as UTF-8; a missing
``run_id`` is left out (one field fewer), so NULL and every string differ. No legitimate
field can contain U+001F: canonical JSON escapes control characters, ``actor`` and
``run_id`` refuse them on append, and ``time``, ``kind`` and the hashes have fixed
alphabets. The verifier requires exactly the expected number of separators in the
joined text (:func:`framed_hash` returns ``None`` otherwise), so the encoding is
injective on everything that verifies: fields cannot bleed into each other. (A
separator is checked with one ``str.count`` instead of a length prefix per field,
which keeps re-hashing within a few percent of a bare chain.)

``kind``, ``actor`` and ``run_id`` are hashed as well as the fields the issue names, so
a change to *any* stored column of an entry changes its hash. The domain tag keeps
journal hashes apart from any other SHA-256 use; a new format gets a new tag.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256

DOMAIN_TAG = "quorum.journal.v1"
CHECKPOINT_TAG = "quorum.journal.checkpoint.v1"
SEPARATOR = "\x1f"
GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of entry 1."""

SEPARATORS_WITH_RUN_ID = 7
SEPARATORS_WITHOUT_RUN_ID = 6


def framed_hash(
    seq: int,
    time: str,
    kind: str,
    actor: str,
    run_id: str | None,
    prev_hash: str,
    payload: str,
) -> str | None:
    """Lower-case hex SHA-256 of one entry; ``None`` if a field contains the separator."""
    if run_id is None:
        text = f"{DOMAIN_TAG}\x1f{seq}\x1f{time}\x1f{kind}\x1f{actor}\x1f{prev_hash}\x1f{payload}"
        expected = SEPARATORS_WITHOUT_RUN_ID
    else:
        text = (
            f"{DOMAIN_TAG}\x1f{seq}\x1f{time}\x1f{kind}\x1f{actor}\x1f{run_id}"
            f"\x1f{prev_hash}\x1f{payload}"
        )
        expected = SEPARATORS_WITH_RUN_ID
    if text.count(SEPARATOR) != expected:
        return None
    return sha256(text.encode()).hexdigest()


def entry_hash(
    seq: int,
    time: str,
    kind: str,
    actor: str,
    run_id: str | None,
    prev_hash: str,
    payload: str,
) -> str:
    """The hash of a well-formed entry; a field containing U+001F is a ValueError."""
    digest = framed_hash(seq, time, kind, actor, run_id, prev_hash, payload)
    if digest is None:
        raise ValueError(f"journal entry {seq}: a field contains the U+001F field separator")
    return digest


def checkpoint_message(
    size: int,
    head: str,
    time: str,
    journal: str | None = None,
    anchors: Sequence[tuple[int, str]] = (),
) -> bytes:
    """The bytes a checkpoint signature covers: tag, size, head hash and time; version 2
    adds the journal id and the anchors (the chain's hash at earlier sizes, as
    ``size:hash`` joined by commas). Version 1 has neither: two fields fewer, so the two
    forms cannot be mistaken for each other."""
    if journal is None:
        return f"{CHECKPOINT_TAG}\x1f{size}\x1f{head}\x1f{time}".encode()
    marks = ",".join(f"{at}:{digest}" for at, digest in anchors)
    return f"{CHECKPOINT_TAG}\x1f{journal}\x1f{size}\x1f{head}\x1f{time}\x1f{marks}".encode()


def anchor_sizes(size: int) -> list[int]:
    """The earlier sizes a checkpoint of ``size`` anchors: ``size - 2**k`` down to 1
    (about log2(size) of them, densest near the head)."""
    sizes: list[int] = []
    step = 1
    while size - step >= 1:
        sizes.append(size - step)
        step *= 2
    return sizes
