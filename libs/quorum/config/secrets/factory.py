"""Build the SecretsProvider the settings ask for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from quorum.clock import Clock, SystemClock
from quorum.config.secrets.env import EnvSecrets
from quorum.config.secrets.redaction import SecretSink
from quorum.config.secrets.routing import RoutingSecrets
from quorum.config.settings import AppSettings, SecretsSettings
from quorum.errors import ConfigError

if TYPE_CHECKING:
    from quorum.ports import SecretsProvider


def build_secrets_provider(
    settings: AppSettings | SecretsSettings,
    *,
    clock: Clock | None = None,
    env: Mapping[str, str] | None = None,
    sink: SecretSink | None = None,
) -> SecretsProvider:
    """``env`` backend: ``env:`` refs only. ``vault`` backend: ``vault:`` and ``env:`` refs.

    ``sink`` (e.g. a :class:`RedactingFilter`) is told every value that gets resolved.
    """
    secrets = settings.secrets if isinstance(settings, AppSettings) else settings
    env_secrets = EnvSecrets(env, sink=sink)
    providers: dict[str, SecretsProvider] = {"env": env_secrets}
    if secrets.backend == "vault":
        if secrets.vault is None:
            raise ConfigError("secrets.vault: required when secrets.backend is 'vault'")
        from quorum.config.secrets.vault import VaultSecrets

        providers["vault"] = VaultSecrets(
            secrets.vault, bootstrap=env_secrets, clock=clock or SystemClock(), sink=sink
        )
    return RoutingSecrets(providers, secrets.backend)
