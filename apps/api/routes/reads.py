"""Read endpoints (role viewer): status, positions, orders, signals, LLM spend, metrics."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Query, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import AwareDatetime

from apps.api.context import ApiContext, context
from apps.api.schemas import OrderOut, PositionOut, SpendOut, SpendReport
from apps.api.security import Viewer
from quorum.domain import OrderState
from quorum.llm.ledger import spend_by
from quorum.pipeline import SignalRecord, StatusReport
from quorum.telemetry.metrics import exposition_registry

Ctx = Annotated[ApiContext, Depends(context)]


def status(ctx: Ctx, _: Viewer) -> StatusReport:
    """Positions, open orders, today's P&L, SAFE_MODE, lockouts and the kill switch."""
    return ctx.pipeline.status()


def positions(
    ctx: Ctx,
    _: Viewer,
    venue: Annotated[str | None, Query(min_length=1, description="Only this venue.")] = None,
) -> list[PositionOut]:
    """Net positions per (venue, symbol) as the execution service records them."""
    return [PositionOut.of(p) for p in ctx.execution.positions(venue)]


def orders(
    ctx: Ctx,
    _: Viewer,
    state: Annotated[
        list[OrderState] | None, Query(description="Only these states (repeatable).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[OrderOut]:
    """Orders, oldest first, optionally filtered by state."""
    return [OrderOut.of(o) for o in ctx.execution.orders(set(state) if state else None, limit)]


def signals(
    ctx: Ctx,
    _: Viewer,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    since: Annotated[
        AwareDatetime | None, Query(description="Only signals at or after (ISO-8601, with zone).")
    ] = None,
) -> list[SignalRecord]:
    """Signals with their score components, explanation and risk decision."""
    return ctx.pipeline.signals(limit=limit, since=since)


def llm_spend(
    ctx: Ctx,
    _: Viewer,
    by: Literal["model", "node", "role", "day", "trade"] = "model",
    since: Annotated[date | None, Query(description="First UTC day (YYYY-MM-DD).")] = None,
) -> SpendReport:
    """Calls, tokens, cache hits and USD from the cost ledger (``quorum llm spend``)."""
    day = None if since is None else since.isoformat()
    rows = spend_by(ctx.runtime.engine, by, day)
    return SpendReport(
        by=by,
        since=day,
        total_usd=sum((r.cost_usd for r in rows), start=Decimal(0)),
        calls=sum(r.calls for r in rows),
        rows=[SpendOut.of(r) for r in rows],
    )


def metrics(_: Viewer) -> Response:
    """Prometheus exposition: the process's default registry, or every process's samples
    merged when ``PROMETHEUS_MULTIPROC_DIR`` is set (several API workers)."""
    return Response(generate_latest(exposition_registry()), media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI) -> None:
    tags: list[str | Enum] = ["reads"]
    app.add_api_route("/status", status, methods=["GET"], response_model=StatusReport, tags=tags)
    app.add_api_route(
        "/positions", positions, methods=["GET"], response_model=list[PositionOut], tags=tags
    )
    app.add_api_route("/orders", orders, methods=["GET"], response_model=list[OrderOut], tags=tags)
    app.add_api_route(
        "/signals", signals, methods=["GET"], response_model=list[SignalRecord], tags=tags
    )
    app.add_api_route(
        "/llm/spend", llm_spend, methods=["GET"], response_model=SpendReport, tags=tags
    )
    app.add_api_route(
        "/metrics",
        metrics,
        methods=["GET"],
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
        tags=tags,
    )
