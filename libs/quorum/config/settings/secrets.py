"""Secrets settings: where secret references are resolved (environment or Vault)."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from quorum.config.settings.base import ComponentSettings
from quorum.config.settings.refs import EnvSecretRef


class VaultSettings(ComponentSettings):
    """HashiCorp Vault: KV v2 reads, token or AppRole login, token renewal."""

    url: str = Field(pattern=r"^https?://\S+$")
    auth: Literal["token", "approle"] = "token"
    token_ref: EnvSecretRef | None = None
    role_id_ref: EnvSecretRef | None = None
    secret_id_ref: EnvSecretRef | None = None
    approle_mount: str = Field(default="approle", min_length=1)
    kv_mount: str = Field(default="secret", min_length=1)
    namespace: str | None = None
    renew_before_seconds: int = Field(default=300, ge=0)
    timeout_seconds: float = Field(default=10.0, gt=0)
    verify_tls: bool = True

    @model_validator(mode="after")
    def _auth_needs_its_refs(self) -> Self:
        if self.auth == "token" and self.token_ref is None:
            raise PydanticCustomError(
                "vault_auth", "token_ref is required when auth is 'token' (e.g. env:VAULT_TOKEN)"
            )
        if self.auth == "approle":
            missing = [n for n in ("role_id_ref", "secret_id_ref") if getattr(self, n) is None]
            if missing:
                raise PydanticCustomError(
                    "vault_auth",
                    "{missing} required when auth is 'approle' (env:NAME refs)",
                    {"missing": " and ".join(missing) + (" is" if len(missing) == 1 else " are")},
                )
        return self


class SecretsSettings(ComponentSettings):
    """``backend: env`` resolves only ``env:`` refs; ``vault`` resolves both schemes."""

    backend: Literal["env", "vault"] = "env"
    vault: VaultSettings | None = None

    @model_validator(mode="after")
    def _vault_backend_needs_vault_block(self) -> Self:
        if self.backend == "vault" and self.vault is None:
            raise PydanticCustomError(
                "vault_missing", "vault (url, auth, …) is required when backend is 'vault'"
            )
        return self
