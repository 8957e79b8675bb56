"""RedisFlagStore against a real Redis: flips cross clients, versions count every flip."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from itertools import pairwise

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from quorum.clock import ReplayClock
from quorum.config import (
    FLAG_SPECS,
    FlagChange,
    FlagStore,
    FlagValue,
    build_flag_store,
    load_settings,
)
from quorum.config.flags.redis_store import RedisFlagStore
from quorum.errors import ConfigError

pytestmark = pytest.mark.integration

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class Recorder:
    def __init__(self) -> None:
        self.changes: list[FlagChange] = []
        self.fail = False
        self._lock = threading.Lock()

    def record(self, change: FlagChange) -> None:
        if self.fail:
            raise OSError("audit disk full")
        with self._lock:
            self.changes.append(change)


def allow(flags: Mapping[str, FlagValue]) -> None:
    return None


def refuse(flags: Mapping[str, FlagValue]) -> None:
    raise ConfigError("live trading refused (trading.mode=live): test guard")


@pytest.fixture
def client(clean_redis: str) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(clean_redis)
    try:
        yield connection
    finally:
        connection.close()


def make_store(
    client: redis.Redis,
    recorder: Recorder | None = None,
    guard: object = allow,
    defaults: dict[str, FlagValue] | None = None,
) -> RedisFlagStore:
    return RedisFlagStore(
        client,
        clock=ReplayClock(START),
        guard=guard,  # type: ignore[arg-type]
        recorder=recorder or Recorder(),
        defaults=defaults,
        key_prefix="quorum-test:flags",
    )


def test_fresh_store_reports_defaults_and_version_zero(client: redis.Redis) -> None:
    store = make_store(client, defaults={"trading.live_confirm": True})

    assert isinstance(store, FlagStore)
    assert store.version() == 0
    assert store.all() == {
        **{name: spec.default for name, spec in FLAG_SPECS.items()},
        "trading.live_confirm": True,
    }
    assert {state.source for state in store.states()} == {"default"}


def test_flip_in_one_client_is_seen_by_another(clean_redis: str, client: redis.Redis) -> None:
    other_client = redis.Redis.from_url(clean_redis, decode_responses=True)
    writer, reader = make_store(client), make_store(other_client)
    try:
        assert reader.get("kill_switch") is False

        change = writer.set("kill_switch", True, "ops:alice", "incident")

        assert reader.get("kill_switch") is True
        assert reader.version() == 1
        assert change.version == 1
        assert change.backend == "redis"
        assert change.at == START
        state = next(s for s in reader.states() if s.name == "kill_switch")
        assert state.source == "redis quorum-test:flags:values"
    finally:
        other_client.close()


def test_version_increments_once_per_flip(client: redis.Redis) -> None:
    recorder = Recorder()
    store = make_store(client, recorder)

    store.set("kill_switch", True, "a", "r")
    store.set("analysis.enabled", False, "a", "r")
    store.set("kill_switch", False, "a", "r")

    assert store.version() == 3
    assert [c.version for c in recorder.changes] == [1, 2, 3]
    assert [(c.old, c.new) for c in recorder.changes] == [
        (False, True),
        (True, False),
        (True, False),
    ]


def test_concurrent_flips_from_threads_are_all_counted(clean_redis: str) -> None:
    threads, flips = 8, 15
    recorder = Recorder()
    clients = [redis.Redis.from_url(clean_redis) for _ in range(threads)]
    stores = [make_store(c, recorder) for c in clients]
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(flips):
                stores[n].set("kill_switch", (n + i) % 2 == 0, f"thread-{n}", f"flip {i}")
        except BaseException as exc:
            failures.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    for c in clients:
        c.close()

    assert failures == []
    total = threads * flips
    assert stores[0].version() == total
    ordered = sorted(recorder.changes, key=lambda change: change.version)
    assert [change.version for change in ordered] == list(range(1, total + 1))
    assert Counter(change.actor for change in ordered) == {
        f"thread-{n}": flips for n in range(threads)
    }
    for before, after in pairwise(ordered):
        assert after.old == before.new, f"lost update at version {after.version}"


def test_refused_flip_to_live_writes_nothing(client: redis.Redis) -> None:
    recorder = Recorder()
    store = make_store(client, recorder, guard=refuse)

    with pytest.raises(ConfigError, match="live trading refused"):
        store.set("trading.mode", "live", "a", "r")
    with pytest.raises(ConfigError, match="expected a boolean"):
        store.set("kill_switch", "yes", "a", "r")

    assert store.version() == 0
    assert client.exists("quorum-test:flags:values") == 0
    assert recorder.changes == []


def test_recorder_failure_reverts_the_flip(client: redis.Redis) -> None:
    recorder = Recorder()
    store = make_store(client, recorder)
    recorder.fail = True

    with pytest.raises(ConfigError, match="could not be recorded"):
        store.set("llm.allow_paid", True, "a", "r")

    assert store.get("llm.allow_paid") is False
    assert store.version() == 2


def test_unrecorded_flip_is_not_reverted_over_a_later_flip(client: redis.Redis) -> None:
    later = make_store(client)

    class FlipThenFail:
        def record(self, change: FlagChange) -> None:
            later.set(change.name, not change.new, "someone-else", "later flip")
            raise OSError("audit disk full")

    store = make_store(client, recorder=FlipThenFail())  # type: ignore[arg-type]

    with pytest.raises(ConfigError, match="not reverted: a later flip already replaced the value"):
        store.set("kill_switch", True, "a", "r")

    assert store.get("kill_switch") is False
    assert store.version() == 2


def test_corrupt_stored_value_is_refused_naming_the_flag(client: redis.Redis) -> None:
    client.hset("quorum-test:flags:values", "kill_switch", '"maybe"')

    with pytest.raises(ConfigError, match="flag 'kill_switch': expected a boolean"):
        make_store(client).get("kill_switch")


def test_settings_build_a_redis_store_seeded_from_trading_settings(clean_redis: str) -> None:
    settings = load_settings(
        env={
            "QUORUM_FLAGS__BACKEND": "redis",
            "QUORUM_FLAGS__REDIS_URL": clean_redis,
            "QUORUM_FLAGS__REDIS_KEY_PREFIX": "quorum-test:built",
            "QUORUM_TRADING__LIVE_CONFIRM": "true",
        }
    )
    recorder = Recorder()

    store = build_flag_store(settings, clock=ReplayClock(START), guard=allow, recorder=recorder)
    store.set("kill_switch", True, "a", "r")

    assert isinstance(store, RedisFlagStore)
    assert store.get("trading.live_confirm") is True
    assert redis.Redis.from_url(clean_redis).hget("quorum-test:built:values", "kill_switch") == (
        b"true"
    )


def test_unreachable_redis_is_a_config_error() -> None:
    no_retry = Retry(NoBackoff(), 0)
    store = make_store(redis.Redis(host="127.0.0.1", port=1, retry=no_retry))

    with pytest.raises(ConfigError, match="Redis unavailable"):
        store.get("kill_switch")
