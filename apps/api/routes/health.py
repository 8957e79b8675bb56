"""Liveness and readiness (no token: probes carry no data; not rate-limited)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from slowapi import Limiter

from apps.api.context import ApiContext, context
from apps.api.schemas import Alive, ProbeOut, Readiness


async def live() -> Alive:
    """The process answers (nothing else is checked)."""
    return Alive()


async def ready(ctx: Annotated[ApiContext, Depends(context)]) -> JSONResponse:
    """Database, Celery broker and exchange, each probed with its own timeout."""
    started = time.perf_counter()
    results = await ctx.probes.run()
    ok = all(r.status in ("ok", "skipped") for r in results)
    body = Readiness(
        status="ready" if ok else "not_ready",
        probes=[
            ProbeOut(name=r.name, status=r.status, detail=r.detail, elapsed_ms=r.elapsed_ms)
            for r in results
        ],
        elapsed_ms=round((time.perf_counter() - started) * 1000, 3),
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if ok else 503)


def install(app: FastAPI, limiter: Limiter) -> None:
    app.add_api_route("/health/live", live, methods=["GET"], response_model=Alive, tags=["health"])
    app.add_api_route(
        "/health/ready",
        ready,
        methods=["GET"],
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "a dependency is down or hangs"}},
        tags=["health"],
    )
    limiter.exempt(live)  # type: ignore[no-untyped-call]  # slowapi is untyped here
    limiter.exempt(ready)  # type: ignore[no-untyped-call]
