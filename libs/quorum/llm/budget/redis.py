"""The budget ledger in Redis: one Lua script reserves atomically across all scopes.

Per scope two keys: ``<prefix>:spent:<scope>`` (settled nano-USD, an integer) and
``<prefix>:holds:<scope>`` (a sorted set of ``<reservation id>:<amount>`` scored by expiry
in epoch ms). The reserve script drops expired holds, sums the live ones, checks
``spent + held + amount <= cap`` for every scope and only then adds the hold to each:
Redis runs a script without interleaving, so concurrent workers cannot overshoot. All
keys share the hash tag ``{<prefix>}`` so the script also runs on Redis Cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from quorum.llm.budget.base import (
    BudgetDenied,
    BudgetScope,
    BudgetUnavailable,
    Reservation,
    epoch_ms,
    new_reservation_id,
)

_RESERVE = """
local n = #KEYS / 2
local now = tonumber(ARGV[1])
local expires = tonumber(ARGV[2])
local member = ARGV[3]
local amount = tonumber(ARGV[4])
local headroom = {}
local worst, worst_i = nil, 0
for i = 1, n do
  local holds = KEYS[2 * i]
  redis.call('ZREMRANGEBYSCORE', holds, '-inf', now)
  local held = 0
  for _, m in ipairs(redis.call('ZRANGE', holds, 0, -1)) do
    held = held + tonumber(string.match(m, ':(%d+)$'))
  end
  local spent = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local left = tonumber(ARGV[4 + i]) - spent - held
  headroom[i] = left - amount
  if amount > left and (worst == nil or left < worst) then
    worst, worst_i = left, i
  end
end
if worst ~= nil then
  return {0, worst_i, string.format('%.0f', worst)}
end
for i = 1, n do
  local ttl = tonumber(ARGV[4 + n + i])
  redis.call('ZADD', KEYS[2 * i], expires, member)
  redis.call('EXPIRE', KEYS[2 * i], ttl)
  redis.call('EXPIRE', KEYS[2 * i - 1], ttl)
end
local out = {1, 0, '0'}
for i = 1, n do out[3 + i] = string.format('%.0f', headroom[i]) end
return out
"""

_SETTLE = """
local n = #KEYS / 2
local member = ARGV[1]
local actual = tonumber(ARGV[2])
local live = 0
for i = 1, n do
  live = live + redis.call('ZREM', KEYS[2 * i], member)
  if actual > 0 then
    redis.call('INCRBY', KEYS[2 * i - 1], actual)
    redis.call('EXPIRE', KEYS[2 * i - 1], tonumber(ARGV[2 + i]))
  end
end
return live
"""


class RedisBudgetLedger:
    """Budget shared by every worker on one Redis (or Redis Cluster)."""

    def __init__(self, client: Any, key_prefix: str = "quorum:llm:budget") -> None:
        self._client = client
        self._tag = "{" + key_prefix.replace("{", "").replace("}", "") + "}"
        self._reserve = client.register_script(_RESERVE)
        self._settle = client.register_script(_SETTLE)

    @classmethod
    def from_url(cls, url: str, key_prefix: str, cluster: bool = False) -> RedisBudgetLedger:
        import redis
        import redis.cluster

        client: Any = (
            redis.cluster.RedisCluster.from_url(url) if cluster else redis.Redis.from_url(url)
        )
        return cls(client, key_prefix)

    def _keys(self, scopes: Sequence[BudgetScope]) -> list[str]:
        keys: list[str] = []
        for scope in scopes:
            keys += [f"{self._tag}:spent:{scope.key}", f"{self._tag}:holds:{scope.key}"]
        return keys

    def reserve(
        self, scopes: Sequence[BudgetScope], amount_nano: int, now: datetime, ttl_s: int
    ) -> Reservation:
        import redis

        now_ms = epoch_ms(now)
        rid = new_reservation_id()
        expires = now_ms + ttl_s * 1000
        args = [now_ms, expires, f"{rid}:{amount_nano}", amount_nano]
        args += [s.cap_nano for s in scopes] + [max(s.ttl_s, ttl_s) for s in scopes]
        try:
            reply = self._reserve(keys=self._keys(scopes), args=args)
        except redis.RedisError as exc:
            raise BudgetUnavailable(
                f"llm budget: Redis could not reserve ({type(exc).__name__}); failing closed"
            ) from exc
        if int(reply[0]) != 1:
            scope = scopes[int(reply[1]) - 1]
            raise BudgetDenied(scope.key, scope.cap_nano, int(reply[2]), amount_nano)
        headroom = tuple(int(v) for v in reply[3:])
        return Reservation(rid, tuple(scopes), amount_nano, expires, headroom)

    def settle(self, reservation: Reservation, actual_nano: int, now: datetime) -> None:
        import redis

        args = [f"{reservation.id}:{reservation.amount_nano}", actual_nano]
        args += [s.ttl_s for s in reservation.scopes]
        try:
            self._settle(keys=self._keys(reservation.scopes), args=args)
        except redis.RedisError as exc:
            raise BudgetUnavailable(
                f"llm budget: Redis could not settle reservation {reservation.id} "
                f"({type(exc).__name__})"
            ) from exc

    def spent_nano(self, scope: str) -> int:
        value = self._client.get(f"{self._tag}:spent:{scope}")
        return int(value or 0)

    def held_nano(self, scope: str, now: datetime) -> int:
        members = self._client.zrangebyscore(
            f"{self._tag}:holds:{scope}", epoch_ms(now) + 1, "+inf"
        )
        return sum(int(m.decode().rsplit(":", 1)[1]) for m in members)
