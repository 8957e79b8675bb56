"""Checkpoint signing with HashiCorp Vault's transit engine (the key never leaves Vault).

Signing is ``POST /v1/<mount>/sign/<key>`` with the base64 message as ``input`` (hvac:
``secrets.transit.sign_data``); for an ``ed25519`` key Vault signs the message itself and
returns ``vault:v<version>:<base64 signature>``. The public half comes from
``GET /v1/<mount>/keys/<key>`` (hvac: ``secrets.transit.read_key``), whose ``keys`` map
each version to ``{"public_key": <base64 raw key>, …}``. The signature's version picks the
public key recorded with the checkpoint, so a key rotation in Vault is followed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from quorum.errors import ConfigError
from quorum.journal.signers import ED25519_KEY_BYTES, ED25519_SIGNATURE_BYTES, Signature

_MARSHALED_PARTS = 3  # vault : v<N> : <base64>


def _describe(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    detail = f": {', '.join(str(e) for e in errors)}" if errors else ""
    return f"{type(exc).__name__}{detail}"


class VaultTransitSigner:
    """Signs through Vault transit with an ``ed25519`` key.

    ``client`` is an authenticated hvac client, or a callable returning one (e.g. the
    ``client`` method of :class:`quorum.config.secrets.vault_session.VaultSession`, which
    renews the token).
    """

    def __init__(
        self,
        client: Any,
        key_name: str,
        *,
        mount_point: str = "transit",
        key_version: int | None = None,
    ) -> None:
        self._client: Callable[[], Any] = client if callable(client) else (lambda: client)
        self._key_name = key_name
        self._mount = mount_point
        self._key_version = key_version
        self._public_keys: dict[int, bytes] = {}

    def __repr__(self) -> str:
        return f"VaultTransitSigner(key={self.name!r}, version={self._key_version})"

    @property
    def name(self) -> str:
        return f"vault-transit:{self._mount}/{self._key_name}"

    def _fail(self, action: str, reason: str) -> ConfigError:
        return ConfigError(f"journal signer {self.name}: {action} failed: {reason}")

    def _read_key(self) -> dict[str, Any]:
        try:
            response = self._client().secrets.transit.read_key(
                name=self._key_name, mount_point=self._mount
            )
        except Exception as exc:  # hvac raises its own VaultError tree and requests errors
            raise self._fail("reading the key", _describe(exc)) from None
        data = response.get("data") if isinstance(response, dict) else None
        if not isinstance(data, dict):
            raise self._fail("reading the key", "response has no data object")
        if data.get("type") != "ed25519":
            raise self._fail(
                "reading the key", f"expected an ed25519 key, got {data.get('type')!r}"
            )
        return data

    def _public_key_for(self, version: int) -> bytes:
        if version not in self._public_keys:
            keys = self._read_key().get("keys")
            entry = keys.get(str(version)) if isinstance(keys, dict) else None
            encoded = entry.get("public_key") if isinstance(entry, dict) else None
            if not isinstance(encoded, str):
                raise self._fail("reading the key", f"no public key for version {version}")
            try:
                raw = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise self._fail("reading the key", "public key is not base64") from None
            if len(raw) != ED25519_KEY_BYTES:
                raise self._fail("reading the key", f"public key has {len(raw)} bytes")
            self._public_keys[version] = raw
        return self._public_keys[version]

    def public_key(self) -> bytes:
        version = self._key_version
        if version is None:
            latest = self._read_key().get("latest_version")
            if not isinstance(latest, int):
                raise self._fail("reading the key", "no latest_version")
            version = latest
        return self._public_key_for(version)

    def sign(self, message: bytes) -> Signature:
        try:
            response = self._client().secrets.transit.sign_data(
                name=self._key_name,
                hash_input=base64.b64encode(message).decode("ascii"),
                key_version=self._key_version,
                mount_point=self._mount,
            )
        except Exception as exc:  # hvac raises its own VaultError tree and requests errors
            raise self._fail("signing", _describe(exc)) from None
        data = response.get("data") if isinstance(response, dict) else None
        marshaled = data.get("signature") if isinstance(data, dict) else None
        if not isinstance(marshaled, str):
            raise self._fail("signing", "response has no data.signature")
        version, signature = self._parse(marshaled)
        return Signature(signature=signature, public_key=self._public_key_for(version))

    def _parse(self, marshaled: str) -> tuple[int, bytes]:
        parts = marshaled.split(":")
        if len(parts) != _MARSHALED_PARTS or parts[0] != "vault" or not parts[1].startswith("v"):
            raise self._fail("signing", "signature is not in vault:v<N>:<base64> form")
        try:
            version = int(parts[1][1:])
            signature = base64.b64decode(parts[2], validate=True)
        except (ValueError, binascii.Error):
            raise self._fail("signing", "signature is not in vault:v<N>:<base64> form") from None
        if len(signature) != ED25519_SIGNATURE_BYTES:
            raise self._fail("signing", f"signature has {len(signature)} bytes, expected 64")
        return version, signature
