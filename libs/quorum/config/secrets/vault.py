"""Secrets from HashiCorp Vault's KV v2 engine: ``vault:<path>#<key>``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hvac import exceptions as vault_errors
from pydantic import SecretStr

from quorum.clock import Clock
from quorum.config.secrets.redaction import SecretSink
from quorum.config.secrets.vault_session import VaultSession, describe_vault_error
from quorum.config.settings.refs import ParsedRef, parse_ref
from quorum.config.settings.secrets import VaultSettings
from quorum.errors import ConfigError, SecretNotFound

if TYPE_CHECKING:
    from quorum.ports import SecretsProvider


class VaultSecrets:
    """Reads ``<kv_mount>/data/<path>`` and returns one key of the secret.

    ``bootstrap`` resolves Vault's own credentials (token, role_id, secret_id), which
    are ``env:`` refs. Authentication happens on first use.
    """

    def __init__(
        self,
        settings: VaultSettings,
        *,
        bootstrap: SecretsProvider,
        clock: Clock,
        sink: SecretSink | None = None,
    ) -> None:
        self._settings = settings
        self._sink = sink
        self._session = VaultSession(settings, bootstrap=bootstrap, clock=clock, sink=sink)

    def __repr__(self) -> str:
        return (
            f"VaultSecrets(url={self._settings.url!r}, auth={self._settings.auth!r}, "
            f"kv_mount={self._settings.kv_mount!r})"
        )

    @property
    def session(self) -> VaultSession:
        return self._session

    def get(self, ref: str) -> SecretStr:
        parsed = parse_ref(ref)
        if parsed.scheme != "vault" or parsed.key is None:
            raise ConfigError(f"secret ref {ref!r}: the Vault provider resolves vault:<path>#<key>")
        data = self._read(parsed)
        if parsed.key not in data:
            raise SecretNotFound(
                f"secret ref {ref!r}: key {parsed.key!r} not found in "
                f"{self._settings.kv_mount}/{parsed.target}"
            )
        value = data[parsed.key]
        if not isinstance(value, str) or value == "":
            raise SecretNotFound(
                f"secret ref {ref!r}: key {parsed.key!r} must hold a non-empty string "
                f"(holds {type(value).__name__})"
            )
        if self._sink is not None:
            self._sink.register(value)
        return SecretStr(value)

    def _read(self, parsed: ParsedRef) -> dict[str, Any]:
        for attempt in (1, 2):
            client = self._session.client()
            try:
                response = client.secrets.kv.v2.read_secret_version(
                    path=parsed.target,
                    mount_point=self._settings.kv_mount,
                    raise_on_deleted_version=True,
                )
            except vault_errors.InvalidPath:
                raise SecretNotFound(
                    f"secret ref {parsed.ref!r}: no secret at "
                    f"{self._settings.kv_mount}/{parsed.target} in vault {self._settings.url}"
                ) from None
            except (vault_errors.Forbidden, vault_errors.Unauthorized) as exc:
                if attempt == 1 and self._session.reauthenticate():
                    continue
                raise ConfigError(
                    f"secret ref {parsed.ref!r}: vault refused the read "
                    f"({describe_vault_error(exc)})"
                ) from None
            except vault_errors.VaultError as exc:
                raise ConfigError(
                    f"secret ref {parsed.ref!r}: vault error ({describe_vault_error(exc)})"
                ) from None
            except OSError as exc:
                raise ConfigError(
                    f"secret ref {parsed.ref!r}: vault {self._settings.url} unreachable "
                    f"({type(exc).__name__})"
                ) from None
            data = response.get("data", {}).get("data") if isinstance(response, dict) else None
            if not isinstance(data, dict):
                raise ConfigError(
                    f"secret ref {parsed.ref!r}: {self._settings.kv_mount} did not answer like "
                    "a KV v2 engine (no data.data in the response)"
                )
            return data
        raise AssertionError("unreachable")  # pragma: no cover
