"""Checkpoints in an S3 object store: moto's S3 server on loopback, reached through
boto3's real HTTP path (signing, retries, XML parsing), never the internet."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from moto.core.authorization import enable_iam_authentication
from moto.server import ThreadedMotoServer
from sqlalchemy import Engine
from tests.unit.journal.journal_kit import fill, stored, tamper
from typer.testing import CliRunner

from apps.cli.commands.journal import app
from quorum.clock import ReplayClock
from quorum.config.secrets import EnvSecrets
from quorum.config.settings.journal import JournalS3Settings, JournalSettings
from quorum.errors import ConfigError, JournalIntegrityError, Retryable
from quorum.journal import (
    Checkpoint,
    CheckpointStoreRefused,
    CheckpointStoreUnavailable,
    DamageKind,
    DirectoryCheckpointStore,
    Ed25519Signer,
    Journal,
    ObjectStoreCheckpointStore,
    build_checkpoint_store,
    public_key_pem,
    sign_checkpoint,
)
from quorum.store import create_engine_for, migrate

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
KEY_ID = "AKIAQUORUMTEST000001"  # pragma: allowlist secret
SECRET = "quorum-test-secret-not-real"  # pragma: allowlist secret


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {"QJ_S3_KEY": KEY_ID, "QJ_S3_SECRET": SECRET}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    return values


def s3_settings(endpoint: str, **extra: object) -> JournalS3Settings:
    return JournalS3Settings.model_validate(
        {
            "endpoint_url": endpoint,
            "region": "us-east-1",
            "access_key_id_ref": "env:QJ_S3_KEY",
            "secret_access_key_ref": "env:QJ_S3_SECRET",
            "addressing_style": "path",
            "max_attempts": 1,
            **extra,
        }
    )


def make_store(
    endpoint: str, location: str, clock: ReplayClock | None = None, **extra: object
) -> ObjectStoreCheckpointStore:
    settings = JournalSettings(checkpoint_store=location, s3=s3_settings(endpoint, **extra))
    store = build_checkpoint_store(
        settings, EnvSecrets(), "sqlite:///unused.db", clock=clock or ReplayClock(START)
    )
    assert isinstance(store, ObjectStoreCheckpointStore)
    return store


def client_of(store: ObjectStoreCheckpointStore) -> S3Client:
    return store._client


@pytest.fixture
def bucket(endpoint: str, env: dict[str, str]) -> str:
    name = f"qj-{uuid.uuid4().hex[:12]}"
    client_of(make_store(endpoint, f"s3://{name}/x")).create_bucket(Bucket=name)
    return name


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'journal.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def signer() -> Ed25519Signer:
    return Ed25519Signer.generate()


@pytest.fixture
def journal(endpoint: str, bucket: str, engine: Engine, signer: Ed25519Signer) -> Journal:
    clock = ReplayClock(START)
    store = make_store(endpoint, f"s3://{bucket}/prod/journal", clock)
    journal = Journal(engine, clock, signer=signer, checkpoint_store=store, checkpoint_every_n=4)
    fill(journal, 12, per_commit=1)
    return journal


def keys(client: S3Client, bucket: str) -> list[str]:
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return sorted(item.get("Key", "") for item in listed)


def test_checkpoints_are_written_listed_and_read_back_from_the_bucket(
    journal: Journal, bucket: str
) -> None:
    store = journal.checkpoint_store
    assert isinstance(store, ObjectStoreCheckpointStore)

    loaded = store.load()
    report = journal.verify()

    assert [cp.size for cp in loaded] == [4, 8, 12]
    assert keys(client_of(store), bucket) == [f"prod/journal/{cp.name}" for cp in loaded]
    assert loaded[-1].head == stored(journal.engine)[11].hash
    assert (report.ok, report.count, report.checkpoints_checked) == (True, 12, 3)


def test_the_store_never_overwrites_and_refuses_a_fork(
    endpoint: str, bucket: str, signer: Ed25519Signer
) -> None:
    store = make_store(endpoint, f"s3://{bucket}/cps")
    first = sign_checkpoint(3, "b" * 64, "2025-03-01T12:00:00.000000Z", signer)
    again = sign_checkpoint(3, "b" * 64, "2025-03-01T13:00:00.000000Z", signer)

    assert store.put(first) is True
    assert store.put(again) is False
    with pytest.raises(JournalIntegrityError, match=f"checkpoint fork: s3://{bucket}/cps/"):
        store.put(sign_checkpoint(3, "c" * 64, "2025-03-01T14:00:00.000000Z", signer))
    assert [cp.model_dump() for cp in store.load()] == [first.model_dump()]


def test_a_put_racing_another_writer_keeps_the_first_object(
    endpoint: str, bucket: str, signer: Ed25519Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = make_store(endpoint, f"s3://{bucket}/race")
    first = sign_checkpoint(5, "d" * 64, "2025-03-01T12:00:00.000000Z", signer)
    racing = sign_checkpoint(5, "d" * 64, "2025-03-01T12:30:00.000000Z", signer)
    store.put(first)
    seen = store._existing
    calls: list[str] = []

    def listing_missed_it(checkpoint: Checkpoint, key: str) -> bool:
        calls.append(key)
        return False if len(calls) == 1 else seen(checkpoint, key)

    monkeypatch.setattr(store, "_existing", listing_missed_it)

    assert store.put(racing) is False  # If-None-Match: * refused the overwrite
    assert len(calls) == 2
    assert [cp.time for cp in store.load()] == [first.time]


def test_a_forged_checkpoint_object_is_reported_forged(journal: Journal, bucket: str) -> None:
    store = journal.checkpoint_store
    assert isinstance(store, ObjectStoreCheckpointStore)
    client = client_of(store)
    key = next(k for k in keys(client, bucket) if "-000000000008-" in k)
    data = json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    data["size"] = 7
    client.put_object(Bucket=bucket, Key=key, Body=json.dumps(data).encode())

    report = journal.verify()

    assert report.damage is DamageKind.CHECKPOINT_FORGED
    assert report.checkpoint == key.removeprefix("prod/journal/")
    assert "signature does not verify" in report.detail


def test_a_later_smaller_checkpoint_object_is_reported_shrunk(
    journal: Journal, signer: Ed25519Signer
) -> None:
    store = journal.checkpoint_store
    assert store is not None
    rows = stored(journal.engine)
    later = sign_checkpoint(6, rows[5].hash, "2025-03-01T13:00:00.000000Z", signer)
    store.put(later)

    report = journal.verify()

    assert (report.damage, report.first_bad_seq) == (DamageKind.CHECKPOINT_SHRUNK, 7)
    assert report.checkpoint == later.name


def test_a_forked_checkpoint_object_is_reported_a_fork(
    journal: Journal, bucket: str, signer: Ed25519Signer
) -> None:
    store = journal.checkpoint_store
    assert isinstance(store, ObjectStoreCheckpointStore)
    other = sign_checkpoint(8, "a" * 64, "2025-03-01T12:00:00.000000Z", signer)
    client_of(store).put_object(
        Bucket=bucket, Key=store.key(other), Body=other.model_dump_json().encode()
    )

    report = journal.verify()

    assert (report.damage, report.first_bad_seq) == (DamageKind.CHECKPOINT_FORK, 5)


def test_truncating_the_chain_below_an_object_store_checkpoint_is_truncated(
    journal: Journal,
) -> None:
    tamper(journal.engine, "DELETE FROM journal_entries WHERE seq > 9")

    report = journal.verify()

    assert (report.damage, report.first_bad_seq) == (DamageKind.TRUNCATED, 10)


def test_an_unparseable_object_is_reported_forged_naming_it(journal: Journal, bucket: str) -> None:
    store = journal.checkpoint_store
    assert isinstance(store, ObjectStoreCheckpointStore)
    name = "checkpoint-000000000016-0000000000000000.json"
    client_of(store).put_object(Bucket=bucket, Key=f"prod/journal/{name}", Body=b"{not json")

    report = journal.verify()

    assert (report.damage, report.checkpoint) == (DamageKind.CHECKPOINT_FORGED, name)


def test_object_lock_retention_is_set_on_every_checkpoint(
    endpoint: str, env: dict[str, str], signer: Ed25519Signer
) -> None:
    name = f"qj-lock-{uuid.uuid4().hex[:8]}"
    store = make_store(
        endpoint, f"s3://{name}/worm", object_lock_mode="COMPLIANCE", object_lock_days=30
    )
    client = client_of(store)
    client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    checkpoint = sign_checkpoint(2, "e" * 64, "2025-03-01T12:00:00.000000Z", signer)

    store.put(checkpoint)
    head = client.head_object(Bucket=name, Key=store.key(checkpoint))

    assert head.get("ObjectLockMode") == "COMPLIANCE"
    until = head.get("ObjectLockRetainUntilDate")
    assert isinstance(until, datetime)
    assert until.astimezone(UTC).date() == (START + timedelta(days=30)).date()


def test_object_lock_on_a_bucket_without_it_is_refused_naming_the_key(
    endpoint: str, bucket: str, signer: Ed25519Signer
) -> None:
    store = make_store(
        endpoint, f"s3://{bucket}/worm", object_lock_mode="GOVERNANCE", object_lock_days=1
    )
    checkpoint = sign_checkpoint(2, "e" * 64, "2025-03-01T12:00:00.000000Z", signer)

    with pytest.raises(CheckpointStoreRefused) as caught:
        store.put(checkpoint)

    assert f"s3://{bucket}/worm/{checkpoint.name}" in str(caught.value)
    assert isinstance(caught.value, ConfigError)


def test_a_missing_bucket_is_a_config_error_naming_the_bucket(
    endpoint: str, env: dict[str, str]
) -> None:
    store = make_store(endpoint, "s3://qj-no-such-bucket/journal")

    with pytest.raises(CheckpointStoreRefused) as caught:
        store.load()

    message = str(caught.value)
    assert "s3://qj-no-such-bucket/journal/checkpoint-*" in message
    assert "NoSuchBucket" in message
    assert "does not exist" in message


def test_unknown_credentials_are_refused_naming_the_bucket(
    endpoint: str, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QJ_S3_KEY", "AKIAQUORUMUNKNOWN999")  # pragma: allowlist secret
    store = make_store(endpoint, f"s3://{bucket}/journal")

    with enable_iam_authentication(), pytest.raises(CheckpointStoreRefused) as caught:
        store.load()

    assert "InvalidAccessKeyId" in str(caught.value)
    assert bucket in str(caught.value)
    assert "check the credentials" in str(caught.value)


def test_an_unreachable_endpoint_is_retryable_and_names_the_store(
    env: dict[str, str], signer: Ed25519Signer
) -> None:
    store = make_store("http://127.0.0.1:9", "s3://qj-nowhere/journal", connect_timeout_s=0.5)
    checkpoint = sign_checkpoint(1, "f" * 64, "2025-03-01T12:00:00.000000Z", signer)

    with pytest.raises(CheckpointStoreUnavailable) as caught:
        store.put(checkpoint)

    assert isinstance(caught.value, Retryable)
    assert "s3://qj-nowhere/journal/checkpoint-000000000001-*" in str(caught.value)


def test_a_failing_object_store_does_not_fail_the_commit(
    endpoint: str, env: dict[str, str], engine: Engine, signer: Ed25519Signer
) -> None:
    clock = ReplayClock(START)
    store = make_store(endpoint, "s3://qj-missing-at-runtime/journal", clock)
    journal = Journal(engine, clock, signer=signer, checkpoint_store=store, checkpoint_every_n=2)

    fill(journal, 2, per_commit=1)

    assert journal.head().size == 2
    assert isinstance(journal.last_checkpoint_error, CheckpointStoreRefused)


def test_settings_choose_a_directory_or_the_object_store(tmp_path: Path) -> None:
    secrets = EnvSecrets({})
    url = f"sqlite:///{tmp_path / 'q.db'}"

    default = build_checkpoint_store(JournalSettings(), secrets, url)
    legacy = build_checkpoint_store(JournalSettings(checkpoint_dir="cps"), secrets, url)
    spelled = build_checkpoint_store(JournalSettings(checkpoint_store="dir:cps2"), secrets, url)

    assert isinstance(default, DirectoryCheckpointStore)
    assert default.path == Path(f"{tmp_path / 'q.db'}-checkpoints")
    assert isinstance(legacy, DirectoryCheckpointStore)
    assert legacy.path == Path("cps")
    assert isinstance(spelled, DirectoryCheckpointStore)
    assert spelled.path == Path("cps2")


def test_settings_refuse_half_credentials_and_two_locations() -> None:
    with pytest.raises(ValueError, match="give both or neither"):
        JournalS3Settings(access_key_id_ref="env:QJ_S3_KEY")
    with pytest.raises(ValueError, match="object_lock_mode and object_lock_days"):
        JournalS3Settings(object_lock_mode="COMPLIANCE")
    with pytest.raises(ValueError, match="give one"):
        JournalSettings(checkpoint_dir="a", checkpoint_store="dir:b")
    with pytest.raises(ValueError, match="checkpoint_store"):
        JournalSettings(checkpoint_store="s3://UPPER/x")


def test_cli_verify_reads_checkpoints_from_s3(
    journal: Journal,
    bucket: str,
    endpoint: str,
    signer: Ed25519Signer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QUORUM_JOURNAL__S3__ACCESS_KEY_ID_REF", "env:QJ_S3_KEY")
    monkeypatch.setenv("QUORUM_JOURNAL__S3__SECRET_ACCESS_KEY_REF", "env:QJ_S3_SECRET")
    monkeypatch.setenv("QUORUM_JOURNAL__S3__REGION", "us-east-1")
    monkeypatch.setenv("QUORUM_JOURNAL__S3__ADDRESSING_STYLE", "path")
    public = tmp_path / "key.pub"
    public.write_text(public_key_pem(signer.public_key()))
    url = str(journal.engine.url)
    journal.engine.dispose()
    where = f"s3://{bucket}/prod/journal"
    common = ["verify", "--db", url, "--public-key", str(public), "--s3-endpoint", endpoint]

    intact = CliRunner().invoke(app, [*common, "--checkpoints", where])
    tamper(journal.engine, "DELETE FROM journal_entries WHERE seq > 5")
    damaged = CliRunner().invoke(app, [*common, "--checkpoints", where, "--json"])
    missing = CliRunner().invoke(app, [*common, "--checkpoints", "s3://qj-absent/journal"])

    assert intact.exit_code == 0, intact.stdout + intact.stderr
    assert "checkpoints: 3 in s3://" in intact.stdout
    report = json.loads(damaged.stdout)
    assert damaged.exit_code == 1
    assert (report["damage"], report["first_bad_seq"]) == ("truncated", 6)
    assert report["checkpoint_store"] == f"{where}/"
    assert missing.exit_code == 2
    assert "NoSuchBucket" in missing.stderr
