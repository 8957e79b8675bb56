"""FastAPI dependencies for bearer-token authentication and role checks.

Access matrix (see docs/ARCHITECTURE.md, "HTTP API"):

- no token: ``/health/live``, ``/health/ready`` (probes carry no data);
- ``viewer``: every other read (``GET``), including ``/metrics``;
- ``operator``: ``PUT /flags/{name}`` and ``POST /kill-switch`` with ``state=on``;
- ``admin``: anything that can increase risk — lifting the kill switch, ``trading.mode``
  to ``live``, ``trading.live_confirm`` to true, ``llm.allow_paid`` to true.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from apps.api.auth import Caller, Role, TokenInvalid
from apps.api.context import ApiContext, context

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A JWT minted by `quorum api token --role … --ttl … --subject …`.",
)

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def authenticated(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ctx: Annotated[ApiContext, Depends(context)],
) -> Caller:
    """The verified caller; 401 when the token is missing, malformed, badly signed or expired."""
    if credentials is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing bearer token", _CHALLENGE)
    try:
        return ctx.tokens.verify(credentials.credentials)
    except TokenInvalid as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc), _CHALLENGE) from None


def require(role: Role) -> Callable[[Caller], Caller]:
    """A dependency admitting callers whose role is at least ``role`` (else 403)."""

    def dependency(caller: Annotated[Caller, Depends(authenticated)]) -> Caller:
        ensure_role(caller, role, "this endpoint")
        return caller

    dependency.__name__ = f"require_{role.label}"
    return dependency


def ensure_role(caller: Caller, role: Role, what: str) -> None:
    if caller.role < role:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"{what} needs role {role.label}; token of {caller.subject!r} has {caller.role.label}",
        )


Viewer = Annotated[Caller, Depends(require(Role.VIEWER))]
Operator = Annotated[Caller, Depends(require(Role.OPERATOR))]
