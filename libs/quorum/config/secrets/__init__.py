"""Secret providers (environment, Vault) behind the ``SecretsProvider`` port, and redaction.

The Vault classes live in :mod:`quorum.config.secrets.vault` and
:mod:`quorum.config.secrets.vault_session` and are not exported here:
:func:`build_secrets_provider` imports them when Vault is configured, so importing this
package does not load hvac (and requests) when secrets come from the environment.
"""

from quorum.config.secrets.env import EnvSecrets
from quorum.config.secrets.factory import build_secrets_provider
from quorum.config.secrets.redaction import REDACTED, RedactingFilter, SecretSink
from quorum.config.secrets.routing import RoutingSecrets

__all__ = [
    "REDACTED",
    "EnvSecrets",
    "RedactingFilter",
    "RoutingSecrets",
    "SecretSink",
    "build_secrets_provider",
]
