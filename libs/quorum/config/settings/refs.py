"""Secret references: *where* a secret lives, never what it is.

Two schemes exist: ``env:NAME`` (an environment variable) and ``vault:<path>#<key>``
(a key of a KV v2 secret in Vault). Settings hold references only; a
:class:`~quorum.ports.SecretsProvider` turns a reference into a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from quorum.errors import ConfigError

ENV_REF_PATTERN = r"^env:[A-Za-z_][A-Za-z0-9_]*$"
VAULT_REF_PATTERN = r"^vault:[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*#[A-Za-z0-9_.\-]+$"

_EXPECTED = "expected 'env:NAME' or 'vault:<path>#<key>'"


def _check_secret_ref(value: str) -> str:
    if re.fullmatch(ENV_REF_PATTERN, value) or re.fullmatch(VAULT_REF_PATTERN, value):
        return value
    raise PydanticCustomError("secret_ref", f"not a secret reference: {_EXPECTED}")


def _check_env_ref(value: str) -> str:
    if re.fullmatch(ENV_REF_PATTERN, value):
        return value
    raise PydanticCustomError("env_secret_ref", "not an environment reference: expected 'env:NAME'")


SecretRef = Annotated[str, AfterValidator(_check_secret_ref)]
"""A reference to a secret: ``env:NAME`` or ``vault:<path>#<key>``."""

EnvSecretRef = Annotated[str, AfterValidator(_check_env_ref)]
"""A reference that must come from the environment (``env:NAME``), e.g. Vault's own login."""


@dataclass(frozen=True, slots=True)
class ParsedRef:
    """A parsed secret reference."""

    ref: str
    scheme: Literal["env", "vault"]
    target: str
    """The environment variable name, or the KV path inside the mount."""
    key: str | None = None
    """The key inside the KV secret (vault refs only)."""


def parse_ref(ref: str) -> ParsedRef:
    """Parse ``ref``; a malformed reference is a :class:`ConfigError`.

    A malformed reference is not echoed unless its scheme is recognisable: a
    value pasted where a reference belongs must not end up in an error message.
    """
    if re.fullmatch(ENV_REF_PATTERN, ref):
        return ParsedRef(ref=ref, scheme="env", target=ref.removeprefix("env:"))
    if re.fullmatch(VAULT_REF_PATTERN, ref):
        path, key = ref.removeprefix("vault:").split("#", 1)
        return ParsedRef(ref=ref, scheme="vault", target=path, key=key)
    scheme, sep, _ = ref.partition(":")
    if sep and scheme in ("env", "vault"):
        raise ConfigError(f"secret ref {ref!r}: malformed {scheme} reference, {_EXPECTED}")
    raise ConfigError(f"secret ref (not shown, it may be a value): malformed, {_EXPECTED}")
