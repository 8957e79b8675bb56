"""Checkpoints in an S3-compatible object store (AWS S3, MinIO, Ceph, GCS interop).

One object per checkpoint, ``<prefix>checkpoint-<size>-<head prefix>.json`` — the names
:class:`~quorum.journal.checkpoints.DirectoryCheckpointStore` uses — written once: the
store first lists the objects of that size (a different head is a fork), then puts with
``If-None-Match: *`` so a racing writer cannot replace an existing object either, and
optionally under S3 Object Lock retention (``GOVERNANCE`` or ``COMPLIANCE`` until
*now + N days*: the object cannot be deleted or overwritten before then, not even by
whoever holds the database).

botocore's exceptions stop here: a refusal that retrying cannot fix (no such bucket,
credentials refused, access denied, Object Lock not enabled) is
:class:`CheckpointStoreRefused` (a ``ConfigError``); throttling, 5xx and network
failures are :class:`CheckpointStoreUnavailable` (``Retryable``). Both name the bucket
and key. An object that does not parse is :class:`CheckpointUnreadable`, which
verification reports as a forged checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import ValidationError

from quorum.clock import Clock
from quorum.errors import ConfigError, JournalIntegrityError, QuorumError, Retryable
from quorum.journal.checkpoints import FILE_PREFIX, Checkpoint, CheckpointUnreadable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import PutObjectRequestTypeDef

_MAX_OBJECT_BYTES = 64 * 1024
_REFUSED_CODES = frozenset(
    {
        "NoSuchBucket",
        "AccessDenied",
        "AllAccessDisabled",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "TokenRefreshRequired",
        "InvalidBucketName",
        "InvalidRequest",
        "InvalidArgument",
        "AuthorizationHeaderMalformed",
        "PermanentRedirect",
        "MissingContentLength",
        "NotImplemented",
    }
)
_WHY = {
    "NoSuchBucket": "the bucket does not exist; expected an existing bucket",
    "InvalidAccessKeyId": "the access key id is not known to the store; check the credentials",
    "SignatureDoesNotMatch": "the secret access key does not match; check the credentials",
    "ExpiredToken": "the session token has expired; refresh the credentials",
    "AccessDenied": "access denied; the credentials need s3:ListBucket, GetObject, PutObject",
    "PermanentRedirect": "the bucket is in another region; set journal.s3.region",
}


class CheckpointStoreError(QuorumError):
    """The checkpoint store could not be used; the message names bucket and key."""


class CheckpointStoreRefused(CheckpointStoreError, ConfigError):
    """The store refused in a way retrying will not fix (bucket, credentials, policy)."""


class CheckpointStoreUnavailable(CheckpointStoreError, Retryable):
    """Throttled, a server error or a network failure: retry with backoff."""


@dataclass(frozen=True, slots=True)
class ObjectLock:
    """S3 Object Lock retention applied to every checkpoint object."""

    mode: Literal["GOVERNANCE", "COMPLIANCE"]
    days: int


class ObjectStoreCheckpointStore:
    """Checkpoints as objects under ``prefix`` in ``bucket``, reached by ``client``."""

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        prefix: str = "",
        *,
        clock: Clock,
        object_lock: ObjectLock | None = None,
        conditional_writes: bool = True,
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._clock = clock
        self._lock = object_lock
        self._conditional = conditional_writes

    def __repr__(self) -> str:
        return f"ObjectStoreCheckpointStore(location={self.location!r})"

    @property
    def location(self) -> str:
        """``s3://bucket/prefix``, for reports and messages."""
        return f"s3://{self._bucket}/{self._prefix}"

    @property
    def bucket(self) -> str:
        return self._bucket

    @property
    def prefix(self) -> str:
        """The key prefix, empty or ending in ``/``."""
        return self._prefix

    def key(self, checkpoint: Checkpoint) -> str:
        """The object key of ``checkpoint``."""
        return self._prefix + checkpoint.name

    def put(self, checkpoint: Checkpoint) -> bool:
        key = self.key(checkpoint)
        if self._existing(checkpoint, key):
            return False
        request: PutObjectRequestTypeDef = {
            "Bucket": self._bucket,
            "Key": key,
            "Body": checkpoint.model_dump_json(indent=2).encode("utf-8") + b"\n",
            "ContentType": "application/json",
        }
        if self._conditional:
            request["IfNoneMatch"] = "*"
        if self._lock is not None:
            request["ObjectLockMode"] = self._lock.mode
            request["ObjectLockRetainUntilDate"] = self._clock.now() + timedelta(
                days=self._lock.days
            )
        try:
            with self._edge("put", key, conflict_ok=True):
                self._client.put_object(**request)
        except _Exists:
            # Another writer stored this name between our list and our put.
            self._existing(checkpoint, key)
            return False
        return True

    def load(self) -> list[Checkpoint]:
        found = [self._read(key) for key in self._keys(self._prefix + FILE_PREFIX)]
        return sorted(found, key=lambda cp: (cp.time, cp.size))

    # -- internals -------------------------------------------------------------------

    def _existing(self, checkpoint: Checkpoint, key: str) -> bool:
        """Whether a checkpoint of this size is stored; a different head is a fork."""
        for existing in self._keys(f"{self._prefix}{FILE_PREFIX}{checkpoint.size:012d}-"):
            other = self._read(existing)
            if other.head != checkpoint.head:
                raise JournalIntegrityError(
                    f"checkpoint fork: s3://{self._bucket}/{existing} has head {other.head} "
                    f"for size {checkpoint.size}, the journal now has head {checkpoint.head}"
                )
            return True
        return False

    def _keys(self, starting: str) -> Iterator[str]:
        """Checkpoint object keys directly under the prefix that start with ``starting``."""
        paginator = self._client.get_paginator("list_objects_v2")
        with self._edge("list", starting + "*"):
            for page in paginator.paginate(Bucket=self._bucket, Prefix=starting):
                for item in page.get("Contents", []):
                    key = item.get("Key", "")
                    if key.endswith(".json") and "/" not in key[len(self._prefix) :]:
                        yield key

    def _read(self, key: str) -> Checkpoint:
        name = key[len(self._prefix) :]
        with self._edge("get", key):
            response = self._client.get_object(Bucket=self._bucket, Key=key)
            body = response["Body"].read(_MAX_OBJECT_BYTES + 1)
        if len(body) > _MAX_OBJECT_BYTES:
            raise CheckpointUnreadable(name, f"larger than {_MAX_OBJECT_BYTES} bytes")
        try:
            return Checkpoint.model_validate_json(body).from_source(name)
        except ValidationError as exc:
            raise CheckpointUnreadable(name, f"{exc.error_count()} invalid fields") from None
        except ValueError as exc:
            raise CheckpointUnreadable(name, type(exc).__name__) from None

    @contextmanager
    def _edge(self, operation: str, key: str, *, conflict_ok: bool = False) -> Iterator[None]:
        """Translate botocore's exceptions raised inside into ours, naming bucket/key."""
        # botocore is imported here, not at module level: importing quorum.journal
        # must not cost a quarter of a second when no object store is configured.
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            NoCredentialsError,
            ParamValidationError,
        )

        where = f"checkpoint store s3://{self._bucket}/{key}: {operation}"
        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", "Unknown"))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            if conflict_ok and (code in ("PreconditionFailed", "ConditionalRequestConflict")):
                raise _Exists from None
            raise _translate(where, code, status, str(error.get("Message", ""))) from None
        except (NoCredentialsError, ParamValidationError) as exc:
            raise CheckpointStoreRefused(f"{where} refused before sending: {exc}") from None
        except BotoCoreError as exc:
            raise CheckpointStoreUnavailable(
                f"{where} failed ({type(exc).__name__}: {exc}); retry later"
            ) from None


class _Exists(Exception):
    """Internal: a conditional put found the object already there."""


def _translate(where: str, code: str, status: int, message: str) -> CheckpointStoreError:
    why = _WHY.get(code, message or "no message")
    text = f"{where} refused with {code} (HTTP {status}): {why}"
    if code in _REFUSED_CODES or (400 <= status < 500 and status not in (408, 429)):
        return CheckpointStoreRefused(text)
    return CheckpointStoreUnavailable(f"{text}; retry later")
