"""An authenticated hvac client whose token is renewed, or re-obtained, before it lapses.

Token auth: the token comes from ``token_ref`` (an ``env:`` ref) and its TTL from
``lookup-self``. AppRole auth: ``role_id``/``secret_id`` come from ``env:`` refs and
the TTL from the login response. When the remaining TTL (measured with the injected
clock) drops below ``renew_before_seconds`` the session asks ``lookup-self`` for the
real TTL and calls ``renew-self``; if renewal is refused or cannot extend the token,
AppRole logs in again, and a token session keeps its token until Vault refuses it
(then reads fail with a ConfigError naming ``token_ref``).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import hvac
from hvac import exceptions as vault_errors

from quorum.clock import Clock
from quorum.config.secrets.redaction import SecretSink
from quorum.config.settings.secrets import VaultSettings
from quorum.errors import ConfigError

if TYPE_CHECKING:
    from quorum.ports import SecretsProvider

_log = logging.getLogger(__name__)


def describe_vault_error(exc: Exception) -> str:
    """The error class and Vault's own error list; never request or response bodies."""
    errors = getattr(exc, "errors", None)
    detail = f": {', '.join(str(e) for e in errors)}" if errors else ""
    return f"{type(exc).__name__}{detail}"


class VaultSession:
    """Hands out an hvac client with a live token; thread-safe."""

    def __init__(
        self,
        settings: VaultSettings,
        *,
        bootstrap: SecretsProvider,
        clock: Clock,
        sink: SecretSink | None = None,
    ) -> None:
        self._settings = settings
        self._bootstrap = bootstrap
        self._clock = clock
        self._sink = sink
        self._lock = threading.RLock()
        self._client: Any = hvac.Client(
            url=settings.url,
            namespace=settings.namespace,
            timeout=settings.timeout_seconds,
            verify=settings.verify_tls,
        )
        self._authenticated = False
        self._expires_at: datetime | None = None
        self._renewable = False

    def __repr__(self) -> str:
        return f"VaultSession(url={self._settings.url!r}, auth={self._settings.auth!r})"

    @property
    def url(self) -> str:
        return self._settings.url

    @property
    def expires_at(self) -> datetime | None:
        """When the current token lapses (``None``: not authenticated yet, or no TTL)."""
        return self._expires_at

    def client(self) -> Any:
        """The hvac client, authenticated and with a token that is not about to lapse."""
        with self._lock:
            if not self._authenticated:
                self._authenticate()
            else:
                self._refresh_if_due()
            return self._client

    def reauthenticate(self) -> bool:
        """Log in again after Vault refused the token; ``False`` when that is impossible."""
        with self._lock:
            if self._settings.auth != "approle":
                return False
            self._login()
            return True

    def _authenticate(self) -> None:
        if self._settings.auth == "approle":
            self._login()
        else:
            token = self._resolve("token_ref")
            self._client.token = token
            self._register(token)
            self._lookup()
        self._authenticated = True

    def _resolve(self, field: str) -> str:
        ref = getattr(self._settings, field)
        if not isinstance(ref, str):
            raise ConfigError(f"secrets.vault.{field}: required for auth {self._settings.auth!r}")
        return self._bootstrap.get(ref).get_secret_value()

    def _login(self) -> None:
        role_id = self._resolve("role_id_ref")
        secret_id = self._resolve("secret_id_ref")
        try:
            response = self._client.auth.approle.login(
                role_id=role_id, secret_id=secret_id, mount_point=self._settings.approle_mount
            )
        except vault_errors.VaultError as exc:
            raise ConfigError(
                f"vault {self.url}: AppRole login refused ({describe_vault_error(exc)}); "
                f"check {self._settings.role_id_ref} and {self._settings.secret_id_ref}"
            ) from None
        except OSError as exc:
            raise self._unreachable(exc) from None
        auth = response["auth"]
        self._register(str(auth["client_token"]))
        self._set_lease(int(auth.get("lease_duration") or 0), bool(auth.get("renewable")))
        self._authenticated = True

    def _lookup(self) -> None:
        try:
            data = self._client.auth.token.lookup_self()["data"]
        except vault_errors.VaultError as exc:
            what = (
                "the AppRole token"
                if self._settings.auth == "approle"
                else f"the token from {self._settings.token_ref}"
            )
            raise ConfigError(
                f"vault {self.url}: {what} was refused by lookup-self "
                f"({describe_vault_error(exc)}); it may have expired or been revoked"
            ) from None
        except OSError as exc:
            raise self._unreachable(exc) from None
        self._set_lease(int(data.get("ttl") or 0), bool(data.get("renewable")))

    def _refresh_if_due(self) -> None:
        if not self._due():
            return
        try:
            self._lookup()
        except ConfigError:
            if self._settings.auth == "approle":
                _log.warning("vault %s: token refused by lookup-self; logging in again", self.url)
                self._login()
                return
            raise
        if not self._due():
            return
        if self._renewable and self._renew():
            return
        if self._settings.auth == "approle":
            _log.info("vault %s: token cannot be renewed further; logging in again", self.url)
            self._login()
            return
        _log.warning(
            "vault %s: token from %s cannot be renewed; it expires in %.0f s",
            self.url,
            self._settings.token_ref,
            self._remaining(),
        )

    def _renew(self) -> bool:
        """``True`` when renewal pushed the expiry past the renewal window."""
        try:
            auth = self._client.auth.token.renew_self()["auth"]
        except vault_errors.VaultError as exc:
            _log.warning("vault %s: renew-self refused (%s)", self.url, describe_vault_error(exc))
            return False
        except OSError as exc:
            raise self._unreachable(exc) from None
        self._set_lease(int(auth.get("lease_duration") or 0), bool(auth.get("renewable")))
        return not self._due()

    def _due(self) -> bool:
        return self._expires_at is not None and (
            self._remaining() < self._settings.renew_before_seconds
        )

    def _remaining(self) -> float:
        assert self._expires_at is not None
        return (self._expires_at - self._clock.now()).total_seconds()

    def _set_lease(self, ttl_seconds: int, renewable: bool) -> None:
        self._renewable = renewable
        self._expires_at = (
            self._clock.now() + timedelta(seconds=ttl_seconds) if ttl_seconds > 0 else None
        )

    def _register(self, value: str) -> None:
        if self._sink is not None:
            self._sink.register(value)

    def _unreachable(self, exc: OSError) -> ConfigError:
        return ConfigError(f"vault {self.url}: unreachable ({type(exc).__name__})")
