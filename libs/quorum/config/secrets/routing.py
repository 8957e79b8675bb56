"""One SecretsProvider that hands each reference to the provider of its scheme."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import SecretStr

from quorum.config.settings.refs import parse_ref
from quorum.errors import ConfigError

if TYPE_CHECKING:
    from quorum.ports import SecretsProvider


class RoutingSecrets:
    """``env:`` refs go to one provider, ``vault:`` refs to another (when configured)."""

    def __init__(self, providers: Mapping[str, SecretsProvider], backend: str) -> None:
        self._providers = dict(providers)
        self._backend = backend

    def __repr__(self) -> str:
        return f"RoutingSecrets(backend={self._backend!r}, schemes={sorted(self._providers)!r})"

    def get(self, ref: str) -> SecretStr:
        parsed = parse_ref(ref)
        provider = self._providers.get(parsed.scheme)
        if provider is None:
            raise ConfigError(
                f"secret ref {ref!r}: {parsed.scheme}: refs need secrets.backend: "
                f"{parsed.scheme} (configured: {self._backend})"
            )
        return provider.get(ref)
