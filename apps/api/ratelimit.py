"""Rate limits (slowapi): one budget per caller across the API, limits from ApiSettings.

The caller is a valid token's subject, else the client address: a stolen-and-shared
token is one caller, and garbage tokens do not buy an address a fresh budget. Storage is
in-memory (one process) or the Redis URL in ``api.rate_limit_storage_url`` (shared).
"""

from __future__ import annotations

from fastapi import Request
from slowapi import Limiter
from slowapi.util import get_remote_address

from apps.api.auth import TokenInvalid
from apps.api.context import ApiContext
from quorum.config.settings.api import ApiSettings


def caller_key(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    ctx: ApiContext | None = getattr(request.app.state, "ctx", None)
    if ctx is not None and scheme.lower() == "bearer" and token.strip():
        try:
            return "sub:" + ctx.tokens.verify(token.strip()).subject
        except TokenInvalid:
            pass
    return "ip:" + get_remote_address(request)


def build_limiter(settings: ApiSettings) -> Limiter:
    return Limiter(
        key_func=caller_key,
        application_limits=[settings.rate_limit],
        storage_uri=settings.rate_limit_storage_url,
        headers_enabled=True,
        key_prefix="quorum-api",
    )
