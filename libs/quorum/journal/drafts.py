"""Checked drafts of journal entries: labels, kinds, canonical payloads, the fast entry
builder and the head read — everything :class:`~quorum.journal.journal.Journal` needs
before and after the insert, kept out of the class."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from quorum.domain import JournalEntry, JournalKind
from quorum.errors import ConfigError, ValidationFailed
from quorum.journal.canonical import canonical_json
from quorum.store import JOURNAL_TABLE_NAME

HEAD_SQL = f"SELECT seq, hash FROM {JOURNAL_TABLE_NAME} ORDER BY seq DESC LIMIT 1"  # noqa: S608
_MAX_ACTOR = 120
_MAX_RUN_ID = 64
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


Prepared = tuple[JournalKind, str, dict[str, Any], str, str | None]
"""A checked draft: kind, canonical payload text, its JSON dict, actor, run_id."""

_FIELDS = frozenset(JournalEntry.model_fields)
_new_entry = JournalEntry.__new__
_set = object.__setattr__


def fast_entry(
    seq: int,
    time: datetime,
    kind: JournalKind,
    actor: str,
    run_id: str | None,
    payload: dict[str, Any],
    prev_hash: str,
    digest: str,
) -> JournalEntry:
    """The entry just written, built the way ``model_construct`` builds one, without
    its per-field Python loop or a second validation: every value was produced or
    checked by this module (seq from the head, a UTC time from the clock, the kind
    enum, checked labels, canonical payload, hex digests), and a test holds the result
    equal to a fully validated entry."""
    entry = _new_entry(JournalEntry)
    _set(
        entry,
        "__dict__",
        {
            "seq": seq,
            "time": time,
            "kind": kind,
            "actor": actor,
            "run_id": run_id,
            "payload": payload,
            "prev_hash": prev_hash,
            "hash": digest,
        },
    )
    _set(entry, "__pydantic_fields_set__", set(_FIELDS))
    _set(entry, "__pydantic_extra__", None)
    _set(entry, "__pydantic_private__", None)
    return entry


def fetch_head(cursor: Any) -> Any:
    cursor.execute(HEAD_SQL)
    return cursor.fetchone()


class Draft(NamedTuple):
    """One entry to append with :meth:`Journal.append_many`."""

    kind: JournalKind | str
    payload: Mapping[str, Any]
    actor: str
    run_id: str | None = None


@dataclass(frozen=True, slots=True)
class Head:
    """The chain's length and last hash (``GENESIS_HASH`` when empty)."""

    size: int
    hash: str


def label(field: str, value: object, limit: int) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationFailed(field, f"must be a non-empty string of at most {limit} characters")
    if len(value) > limit:
        raise ValidationFailed(field, f"must be at most {limit} characters", len(value))
    if _CONTROL.search(value):
        raise ValidationFailed(field, "must not contain control characters", value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationFailed(field, "must be valid Unicode (lone surrogate found)") from None
    return value


def parse_kind(kind: JournalKind | str) -> JournalKind:
    if type(kind) is JournalKind:
        return kind
    try:
        return JournalKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in JournalKind)
        raise ValidationFailed("kind", f"must be one of {allowed}", kind) from None


def engine_of(store: Engine | sessionmaker[Any]) -> Engine:
    if isinstance(store, Engine):
        return store
    bind = store.kw.get("bind")
    if not isinstance(bind, Engine):
        raise ConfigError("journal: the session factory must be bound to an Engine")
    return bind


def prepare(
    kind: JournalKind | str,
    payload: Mapping[str, Any],
    actor: str,
    run_id: str | None,
) -> Prepared:
    checked = parse_kind(kind)
    actor = label("actor", actor, _MAX_ACTOR)
    run_id = None if run_id is None else label("run_id", run_id, _MAX_RUN_ID)
    text, normal = canonical_json(payload)
    return checked, text, normal, actor, run_id
