"""Secret providers (environment, Vault) behind the ``SecretsProvider`` port, and redaction.

The Vault classes are loaded on first use so that importing this package does not load
hvac (and requests) when secrets come from the environment.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from quorum.config.secrets.env import EnvSecrets
from quorum.config.secrets.factory import build_secrets_provider
from quorum.config.secrets.redaction import REDACTED, RedactingFilter, SecretSink
from quorum.config.secrets.routing import RoutingSecrets

if TYPE_CHECKING:
    from quorum.config.secrets.vault import VaultSecrets
    from quorum.config.secrets.vault_session import VaultSession

_LAZY = {
    "VaultSecrets": "quorum.config.secrets.vault",  # pragma: allowlist secret
    "VaultSession": "quorum.config.secrets.vault_session",
}

__all__ = [
    "REDACTED",
    "EnvSecrets",
    "RedactingFilter",
    "RoutingSecrets",
    "SecretSink",
    "VaultSecrets",
    "VaultSession",
    "build_secrets_provider",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)
