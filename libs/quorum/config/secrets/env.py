"""Secrets from environment variables: ``env:NAME``."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import SecretStr

from quorum.config.secrets.redaction import SecretSink
from quorum.config.settings.refs import parse_ref
from quorum.errors import ConfigError, SecretNotFound


class EnvSecrets:
    """Resolves ``env:NAME`` from ``env`` (the process environment by default)."""

    def __init__(self, env: Mapping[str, str] | None = None, *, sink: SecretSink | None = None):
        self._env: Mapping[str, str] = os.environ if env is None else env
        self._sink = sink

    def __repr__(self) -> str:
        return "EnvSecrets()"

    def get(self, ref: str) -> SecretStr:
        parsed = parse_ref(ref)
        if parsed.scheme != "env":
            raise ConfigError(
                f"secret ref {ref!r}: the environment provider resolves env:NAME only"
            )
        value = self._env.get(parsed.target)
        if value is None:
            raise SecretNotFound(
                f"secret ref {ref!r}: environment variable {parsed.target} is not set"
            )
        if value == "":
            raise SecretNotFound(
                f"secret ref {ref!r}: environment variable {parsed.target} is empty"
            )
        if self._sink is not None:
            self._sink.register(value)
        return SecretStr(value)
