"""Journal every mutation with its caller before it acts, and its refusal if it fails.

The library call that follows journals the effect itself (a flag flip through the flag
store's recorder, the kill switch through the pipeline); these entries record that the
request came through the API, from whom, with which arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apps.api.auth import Caller
from apps.bootstrap import Runtime
from quorum.domain import JournalKind
from quorum.store import session_scope


def journal_request(
    runtime: Runtime, kind: JournalKind, caller: Caller, request: str, args: Mapping[str, Any]
) -> int:
    """Append ``phase=requested`` and commit; returns the entry's sequence number."""
    return _append(runtime, kind, caller, {"phase": "requested", "request": request, **args})


def journal_refusal(
    runtime: Runtime,
    kind: JournalKind,
    caller: Caller,
    request: str,
    requested_seq: int,
    error: str,
) -> None:
    """Append ``phase=refused`` naming the request entry it answers and the error."""
    _append(
        runtime,
        kind,
        caller,
        {"phase": "refused", "request": request, "requested_seq": requested_seq, "error": error},
    )


def _append(runtime: Runtime, kind: JournalKind, caller: Caller, payload: dict[str, Any]) -> int:
    payload = {"via": "api", "role": caller.role.label, **payload}
    with session_scope(runtime.engine) as session:
        entry = runtime.journal.append(session, kind, payload, actor=caller.actor)
    return entry.seq
