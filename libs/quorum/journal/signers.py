"""Ed25519 signing of checkpoints, and loading the keys that verify them.

A :class:`CheckpointSigner` returns the signature together with the raw public key that
made it; the checkpoint stores both for convenience. Verification must not trust that
embedded key — anyone able to rewrite the journal could sign with a key of their own —
so ``verify`` checks signatures against *configured* trusted public keys (the signer's
own key in-process, ``--public-key`` on the command line).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from hashlib import sha256
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from quorum.errors import ConfigError
from quorum.ports import SecretsProvider

ED25519_KEY_BYTES = 32
ED25519_SIGNATURE_BYTES = 64


@dataclass(frozen=True, slots=True)
class Signature:
    """An Ed25519 signature and the raw 32-byte public key that made it."""

    signature: bytes
    public_key: bytes


@runtime_checkable
class CheckpointSigner(Protocol):
    """Signs checkpoint messages with an Ed25519 key."""

    @property
    def name(self) -> str:
        """Where the key lives, e.g. ``ed25519`` or ``vault-transit:transit/journal``."""
        ...

    def public_key(self) -> bytes:
        """The raw 32-byte public key signatures are currently made with."""
        ...

    def sign(self, message: bytes) -> Signature: ...


def key_id(public_key: bytes) -> str:
    """A short, stable name for a public key: the first 16 hex digits of its SHA-256."""
    return sha256(public_key).hexdigest()[:16]


def _decode_base64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{what}: expected PEM or base64 of the raw key") from None


def load_private_key(text: str, what: str = "journal signing key") -> Ed25519PrivateKey:
    """An Ed25519 private key from PKCS#8 PEM or base64 of the raw 32-byte seed."""
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(stripped.encode("ascii"), password=None)
        except (ValueError, TypeError):
            raise ConfigError(f"{what}: PEM is not an unencrypted private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError(f"{what}: expected an Ed25519 key, got {type(key).__name__}")
        return key
    raw = _decode_base64(stripped, what)
    if len(raw) != ED25519_KEY_BYTES:
        raise ConfigError(f"{what}: raw Ed25519 keys are {ED25519_KEY_BYTES} bytes, got {len(raw)}")
    return Ed25519PrivateKey.from_private_bytes(raw)


def load_public_key(text: str | bytes, what: str = "journal public key") -> bytes:
    """The raw 32-byte Ed25519 public key from SubjectPublicKeyInfo PEM or base64 raw."""
    stripped = (text.decode("ascii", "replace") if isinstance(text, bytes) else text).strip()
    if stripped.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(stripped.encode("ascii"))
        except (ValueError, TypeError):
            raise ConfigError(f"{what}: PEM is not a public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ConfigError(f"{what}: expected an Ed25519 key, got {type(key).__name__}")
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    raw = _decode_base64(stripped, what)
    if len(raw) != ED25519_KEY_BYTES:
        raise ConfigError(f"{what}: raw Ed25519 keys are {ED25519_KEY_BYTES} bytes, got {len(raw)}")
    return raw


def public_key_pem(public_key: bytes) -> str:
    """SubjectPublicKeyInfo PEM of a raw Ed25519 public key (for ``--public-key``)."""
    key = Ed25519PublicKey.from_public_bytes(public_key)
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode("ascii")


def private_key_pem(private_key: Ed25519PrivateKey) -> str:
    """Unencrypted PKCS#8 PEM of a private key (tests, benchmarks, key generation)."""
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem.decode("ascii")


def signature_valid(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` over ``message`` verifies with the raw ``public_key``."""
    if len(public_key) != ED25519_KEY_BYTES or len(signature) != ED25519_SIGNATURE_BYTES:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


class Ed25519Signer:
    """Signs with a local Ed25519 private key (from the SecretsProvider in production)."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self._public = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def __repr__(self) -> str:
        return f"Ed25519Signer(key_id={key_id(self._public)!r})"

    @classmethod
    def from_secrets(cls, secrets: SecretsProvider, ref: str) -> Ed25519Signer:
        """The key behind secret ``ref`` (PKCS#8 PEM or base64 of the 32-byte seed)."""
        value = secrets.get(ref).get_secret_value()
        return cls(load_private_key(value, f"journal signing key {ref!r}"))

    @classmethod
    def generate(cls) -> Ed25519Signer:
        """A signer with a fresh random key (tests and benchmarks)."""
        return cls(Ed25519PrivateKey.generate())

    @property
    def name(self) -> str:
        return "ed25519"

    def public_key(self) -> bytes:
        return self._public

    def private_key_pem(self) -> str:
        return private_key_pem(self._key)

    def sign(self, message: bytes) -> Signature:
        return Signature(signature=self._key.sign(message), public_key=self._public)
