"""HTTP API settings: where it listens, how tokens are signed, rate limits, probe timeouts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from quorum.config.settings.base import ComponentSettings

TokenAlgorithm = Literal["HS256", "EdDSA"]


class ApiSettings(ComponentSettings):
    """The FastAPI service (``quorum api``).

    ``host`` is loopback unless configured otherwise: exposing the API is a decision.
    ``token_secret_ref`` names the token signing key held by the SecretsProvider
    (``env:QUORUM_API_TOKEN_SECRET`` or ``vault:path#key``): an HMAC secret for HS256,
    an Ed25519 private key (PEM) for EdDSA. Without it the embedded default creates a
    local key file (mode 0600) on first use and reuses it. ``rate_limit`` is one
    budget per caller (a valid token's subject, else the client address) across the API,
    in the ``limits`` notation (``120/minute``); ``rate_limit_storage_url`` is
    ``memory://`` or a Redis URL shared by every API process.
    """

    host: str = Field(default="127.0.0.1", min_length=1)
    port: int = Field(default=8000, ge=1, le=65535)
    token_secret_ref: str | None = Field(default=None, min_length=1)
    signing_algorithm: TokenAlgorithm = "HS256"
    local_key_path: str = Field(default="var/api-token.key", min_length=1)
    token_issuer: str = Field(default="quorum", min_length=1)
    max_token_ttl_s: int = Field(default=30 * 24 * 3600, ge=60)
    rate_limit: str = Field(default="120/minute", min_length=3)
    rate_limit_storage_url: str = Field(default="memory://", min_length=1)
    probe_timeout_s: float = Field(default=0.1, gt=0, le=10)
    """Each readiness probe's own budget; all run concurrently, so /health/ready answers
    within about this long even when a dependency hangs."""

    @field_validator("rate_limit")
    @classmethod
    def _limit_parses(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(f"expected a rate limit such as '120/minute' ({exc})") from None
        return value
