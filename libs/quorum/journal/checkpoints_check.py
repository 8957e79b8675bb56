"""Holding a clean chain against its signed checkpoints (the second half of ``verify``).

Checks, in order, each reporting the first problem it finds:

0. a journal that recorded a first checkpoint finds at least one (CHECKPOINTS_MISSING),
   and every version 2 checkpoint names this journal's id (CHECKPOINT_FOREIGN);
1. every checkpoint is readable and its signature verifies with a trusted key
   (CHECKPOINT_FORGED; without trusted keys: with the key embedded in the first one);
2. no two checkpoints have the same size and different heads (CHECKPOINT_FORK);
3. in time order, no checkpoint is smaller than an earlier one (CHECKPOINT_SHRUNK);
4. for every checkpoint within the chain, the chain's stored hash at that size is the
   checkpoint's head (REWRITTEN; where the rewrite begins is bisected between the
   largest agreeing and the smallest disagreeing signed hash, heads and anchors alike:
   :func:`bisect_rewrite`);
5. the chain is at least as long as the largest checkpoint (TRUNCATED).

For 2 ``first_bad_seq`` is one past the largest checkpoint size below the
problem that still matches the chain (the damage lies between the two sizes); for 4
the earliest entry the signed hashes allow; for 3
and 5 it is one past the smaller size (the first entry the smaller view lacks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from quorum.errors import JournalIntegrityError
from quorum.journal.checkpoints import Checkpoint, CheckpointUnreadable
from quorum.journal.meta import JournalMeta
from quorum.journal.report import DamageKind, VerifyReport
from quorum.journal.signers import key_id, signature_valid

_NO_META = JournalMeta(None, None)


def check_checkpoints(
    *,
    count: int,
    head: str,
    hashes_at: Mapping[int, str],
    checkpoints: Sequence[Checkpoint],
    load_error: JournalIntegrityError | None,
    trusted_public_keys: Sequence[bytes] | None,
    meta: JournalMeta = _NO_META,
    allow_missing: bool = False,
) -> VerifyReport:
    """The report for a chain of ``count`` entries that walked clean up to ``head``.

    ``meta`` is the journal's identity and whether it recorded a first checkpoint;
    ``allow_missing`` accepts an empty store for a journal that did."""
    trusted = trusted_public_keys is not None
    base = {
        "count": count,
        "head_hash": head,
        "journal_id": meta.journal_id,
        "checkpoints_checked": len(checkpoints),
        "latest_checkpoint_size": checkpoints[-1].size if checkpoints else None,
        "trusted_keys": trusted,
    }

    def damaged(kind: DamageKind, seq: int | None, detail: str, name: str | None) -> VerifyReport:
        return VerifyReport(
            ok=False, first_bad_seq=seq, damage=kind, detail=detail, checkpoint=name, **base
        )

    if load_error is not None:
        name = load_error.name if isinstance(load_error, CheckpointUnreadable) else None
        return damaged(DamageKind.CHECKPOINT_FORGED, None, str(load_error), name)
    if not checkpoints and meta.checkpointed is not None and not allow_missing:
        size, _, time = meta.checkpointed.partition(" ")
        return damaged(
            DamageKind.CHECKPOINTS_MISSING,
            None,
            f"journal {meta.journal_id} stored its first checkpoint (size {size}) at {time}, "
            "and the checkpoint store holds none: point verify at this journal's checkpoints "
            "(--checkpoints), or pass --allow-missing-checkpoints",
            None,
        )
    foreign = next(
        (cp for cp in checkpoints if cp.journal is not None and cp.journal != meta.journal_id),
        None,
    )
    if foreign is not None:
        return damaged(
            DamageKind.CHECKPOINT_FOREIGN,
            None,
            f"checkpoint {foreign.label} was signed for journal {foreign.journal}, this "
            f"database is journal {meta.journal_id}: the store holds another database's "
            "checkpoints",
            foreign.label,
        )
    forged = _forged(checkpoints, trusted_public_keys)
    if forged is not None:
        checkpoint, reason = forged
        return damaged(DamageKind.CHECKPOINT_FORGED, None, reason, checkpoint.label)

    def matching_below(size: int) -> int:
        sizes = [cp.size for cp in checkpoints if cp.size < size and cp.size <= count]
        good = [s for s in sizes if hashes_at.get(s) == _head_at(checkpoints, s)]
        return max(good, default=0)

    by_size: dict[int, Checkpoint] = {}
    for checkpoint in sorted(checkpoints, key=lambda cp: cp.size):
        other = by_size.setdefault(checkpoint.size, checkpoint)
        if other.head != checkpoint.head:
            return damaged(
                DamageKind.CHECKPOINT_FORK,
                matching_below(checkpoint.size) + 1,
                f"checkpoints {other.label} and {checkpoint.label} both record size "
                f"{checkpoint.size} with different heads ({other.head[:16]}… vs "
                f"{checkpoint.head[:16]}…)",
                checkpoint.label,
            )
    largest: Checkpoint | None = None
    for checkpoint in checkpoints:  # time order
        if largest is not None and checkpoint.size < largest.size:
            return damaged(
                DamageKind.CHECKPOINT_SHRUNK,
                checkpoint.size + 1,
                f"checkpoint {checkpoint.label} ({checkpoint.time}) records size "
                f"{checkpoint.size}, smaller than {largest.size} recorded earlier by "
                f"{largest.label} ({largest.time})",
                checkpoint.label,
            )
        if largest is None or checkpoint.size >= largest.size:
            largest = checkpoint
    for checkpoint in sorted(checkpoints, key=lambda cp: cp.size):
        if checkpoint.size > count:
            return damaged(
                DamageKind.TRUNCATED,
                count + 1,
                f"the chain has {count} entries but checkpoint {checkpoint.label} "
                f"({checkpoint.time}) recorded {checkpoint.size}",
                checkpoint.label,
            )
        if hashes_at.get(checkpoint.size) != checkpoint.head:
            first, last = bisect_rewrite(checkpoints, hashes_at, checkpoint.size)
            where = (
                f"entry {first} is the first rewritten one"
                if first == last
                else f"the first rewritten entry lies in {first}..{last}"
            )
            return damaged(
                DamageKind.REWRITTEN,
                first,
                f"the chain's hash at size {checkpoint.size} is "
                f"{hashes_at.get(checkpoint.size, '?')[:16]}…, checkpoint {checkpoint.label} "
                f"({checkpoint.time}) signed {checkpoint.head[:16]}…; {where} (the signed "
                "hashes agree up to the size before it)",
                checkpoint.label,
            )
    return VerifyReport(ok=True, **base)


def evidence_sizes(checkpoints: Sequence[Checkpoint]) -> set[int]:
    """Every size a checkpoint signs a hash for: its own and its anchors'."""
    return {cp.size for cp in checkpoints} | {a.size for cp in checkpoints for a in cp.anchors}


def bisect_rewrite(
    checkpoints: Sequence[Checkpoint], hashes_at: Mapping[int, str], disagreeing: int
) -> tuple[int, int]:
    """Where a consistent rewrite begins: ``(first, last)`` such that the first rewritten
    entry is in ``first..last``, from every signed hash (heads and anchors).

    A chain hash equal to the signed one at size ``s`` proves entries ``1..s`` unchanged
    (each hash covers its whole prefix); a different one proves some entry ``<= s``
    changed. So the answer lies just above the largest agreeing size and at or below the
    smallest disagreeing one; it is exact when those are adjacent."""
    signed: dict[int, str] = {}
    for cp in checkpoints:
        signed.setdefault(cp.size, cp.head)
        for anchor in cp.anchors:
            signed.setdefault(anchor.size, anchor.hash)
    known = {s: h for s, h in signed.items() if s in hashes_at}
    last = min((s for s, h in known.items() if hashes_at[s] != h), default=disagreeing)
    first = max((s for s, h in known.items() if hashes_at[s] == h and s < last), default=0)
    return first + 1, last


def _head_at(checkpoints: Sequence[Checkpoint], size: int) -> str | None:
    return next((cp.head for cp in checkpoints if cp.size == size), None)


def _forged(
    checkpoints: Sequence[Checkpoint], trusted_public_keys: Sequence[bytes] | None
) -> tuple[Checkpoint, str] | None:
    trusted = set(trusted_public_keys) if trusted_public_keys is not None else None
    reference: bytes | None = None
    for checkpoint in checkpoints:
        try:
            public_key = checkpoint.public_key_bytes()
            signature = checkpoint.signature_bytes()
        except ValueError:
            return checkpoint, f"checkpoint {checkpoint.label}: key or signature is not base64"
        if trusted is not None and public_key not in trusted:
            return checkpoint, (
                f"checkpoint {checkpoint.label} is signed by key {key_id(public_key)}, "
                "which is not a trusted key"
            )
        if trusted is None:
            reference = reference or public_key
            if public_key != reference:
                return checkpoint, (
                    f"checkpoint {checkpoint.label} is signed by key {key_id(public_key)}, "
                    f"the others by {key_id(reference)} (pass a trusted public key)"
                )
        if not signature_valid(public_key, signature, checkpoint.message()):
            return checkpoint, (
                f"checkpoint {checkpoint.label}: the signature does not verify for size "
                f"{checkpoint.size}, head {checkpoint.head[:16]}…, time {checkpoint.time}"
            )
    return None
