"""Ed25519 keys from the SecretsProvider, and the public keys that verify checkpoints."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr

from quorum.errors import ConfigError
from quorum.journal import (
    Ed25519Signer,
    key_id,
    load_public_key,
    public_key_pem,
    signature_valid,
)


class DictSecrets:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get(self, ref: str) -> SecretStr:
        return SecretStr(self.values[ref])


def raw_seed(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize("form", ["pem", "raw"])
def test_a_signer_loads_its_key_from_a_secret_ref_in_pem_or_raw_form(form: str) -> None:
    key = Ed25519PrivateKey.generate()
    value = Ed25519Signer(key).private_key_pem() if form == "pem" else raw_seed(key)
    signer = Ed25519Signer.from_secrets(DictSecrets({"env:JOURNAL_KEY": value}), "env:JOURNAL_KEY")

    signed = signer.sign(b"checkpoint")

    assert signed.public_key == signer.public_key()
    assert signature_valid(signer.public_key(), signed.signature, b"checkpoint")
    assert not signature_valid(signer.public_key(), signed.signature, b"checkpoinT")


@pytest.mark.parametrize(
    "value",
    [
        "not base64 !",
        base64.b64encode(b"short").decode(),
        "-----BEGIN PRIVATE KEY-----\nxx\n",  # pragma: allowlist secret
    ],
)
def test_a_malformed_key_is_a_config_error_naming_the_ref(value: str) -> None:
    with pytest.raises(ConfigError, match="env:JOURNAL_KEY"):
        Ed25519Signer.from_secrets(DictSecrets({"env:JOURNAL_KEY": value}), "env:JOURNAL_KEY")


def test_a_public_key_loads_from_pem_or_base64_and_names_itself() -> None:
    signer = Ed25519Signer.generate()
    raw = signer.public_key()

    assert load_public_key(public_key_pem(raw)) == raw
    assert load_public_key(base64.b64encode(raw).decode()) == raw
    assert len(key_id(raw)) == 16
    assert repr(signer) == f"Ed25519Signer(key_id='{key_id(raw)}')"


def test_a_non_ed25519_public_key_is_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )

    with pytest.raises(ConfigError, match="expected an Ed25519 key"):
        load_public_key(pem.decode())
