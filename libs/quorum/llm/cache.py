"""Exact-match answer cache keyed on (model, role, normalized prompt, schema and prompt
version).

Why not litellm's response cache: it stores the raw response before validation, and only
answers that parsed into the schema may be served again. The key includes the model that
answered: a role-only key served an offline-fallback answer as a "hit" to a request for a
paid model (see :mod:`quorum.llm.answers`).

Backends: in-process (LRU, the default), the store's database (``llm_cache`` table) and
Redis (cluster mode; plain ``SET … EX``).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from quorum.clock import Clock
from quorum.store.tables.llm import LLM_CACHE_TABLE, llm_table

KEY_VERSION = "k2"


def normalize_prompt(messages: Sequence[dict[str, str]]) -> str:
    """Role-tagged messages with each line's trailing space and blank edges removed."""
    parts = []
    for message in messages:
        lines = [line.rstrip() for line in message.get("content", "").strip().splitlines()]
        parts.append(f"<{message.get('role', 'user')}>\n" + "\n".join(lines))
    return "\n".join(parts)


def cache_key(model: str, role: str, prompt: str, schema_version: str, prompt_version: str) -> str:
    """The key of ``model``'s answer to ``prompt`` in ``role``."""
    material = "\x1f".join((KEY_VERSION, model, role, schema_version, prompt_version, prompt))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """A validated answer and who produced it."""

    output_json: str
    model: str
    provider: str
    input_tokens: int
    output_tokens: int

    def encode(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def decode(cls, text: str | bytes) -> CachedAnswer | None:
        try:
            data: Any = json.loads(text)
            return cls(**data)
        except (ValueError, TypeError):
            return None


@runtime_checkable
class ResponseCache(Protocol):
    def get(self, key: str) -> CachedAnswer | None: ...

    def put(self, key: str, answer: CachedAnswer) -> None: ...


class NullCache:
    def get(self, key: str) -> CachedAnswer | None:
        return None

    def put(self, key: str, answer: CachedAnswer) -> None:
        return None


class MemoryResponseCache:
    """LRU bounded by ``max_entries``; entries expire ``ttl_s`` after they were stored."""

    def __init__(self, clock: Clock, ttl_s: int, max_entries: int = 50_000) -> None:
        self._clock = clock
        self._ttl = float(ttl_s)
        self._max = max_entries
        self._items: OrderedDict[str, tuple[float, CachedAnswer]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> CachedAnswer | None:
        now = self._clock.monotonic()
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] <= now:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return item[1]

    def put(self, key: str, answer: CachedAnswer) -> None:
        expires = self._clock.monotonic() + self._ttl
        with self._lock:
            self._items[key] = (expires, answer)
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class SqlResponseCache:
    """The ``llm_cache`` table; expired rows are purged every ``purge_every`` writes."""

    def __init__(self, engine: Engine, clock: Clock, ttl_s: int, purge_every: int = 500) -> None:
        self._engine = engine
        self._clock = clock
        self._ttl_ms = ttl_s * 1000
        self._table = llm_table(LLM_CACHE_TABLE)
        self._module = postgresql if engine.dialect.name == "postgresql" else sqlite
        self._purge_every = purge_every
        self._writes = 0

    def _now_ms(self) -> int:
        return int(self._clock.now().timestamp() * 1000)

    def get(self, key: str) -> CachedAnswer | None:
        query = select(self._table.c.value).where(
            self._table.c.key == key, self._table.c.expires_ms > self._now_ms()
        )
        try:
            with self._engine.connect() as conn:
                value = conn.execute(query).scalar()
        except SQLAlchemyError:
            return None  # a cache that cannot be read is a miss, never a failure
        return CachedAnswer.decode(value) if value is not None else None

    def put(self, key: str, answer: CachedAnswer) -> None:
        now = self._now_ms()
        insert = self._module.insert(self._table).values(
            key=key, value=answer.encode(), expires_ms=now + self._ttl_ms
        )
        upsert = insert.on_conflict_do_update(
            index_elements=["key"],
            set_={"value": insert.excluded.value, "expires_ms": insert.excluded.expires_ms},
        )
        self._writes += 1
        try:
            with self._engine.begin() as conn:
                conn.execute(upsert)
                if self._writes % self._purge_every == 0:
                    conn.execute(delete(self._table).where(self._table.c.expires_ms <= now))
        except SQLAlchemyError:
            return


class RedisResponseCache:
    """``SET <prefix>:<key> <answer> EX ttl`` on Redis or Redis Cluster."""

    def __init__(self, client: Any, key_prefix: str, ttl_s: int) -> None:
        self._client = client
        self._prefix = key_prefix
        self._ttl = ttl_s

    @classmethod
    def from_url(cls, url: str, key_prefix: str, ttl_s: int, cluster: bool) -> RedisResponseCache:
        import redis
        import redis.cluster

        client: Any = (
            redis.cluster.RedisCluster.from_url(url) if cluster else redis.Redis.from_url(url)
        )
        return cls(client, key_prefix, ttl_s)

    def get(self, key: str) -> CachedAnswer | None:
        import redis

        try:
            value = self._client.get(f"{self._prefix}:{key}")
        except redis.RedisError:
            return None
        return CachedAnswer.decode(value) if value is not None else None

    def put(self, key: str, answer: CachedAnswer) -> None:
        import redis

        try:
            self._client.set(f"{self._prefix}:{key}", answer.encode(), ex=self._ttl)
        except redis.RedisError:
            return
