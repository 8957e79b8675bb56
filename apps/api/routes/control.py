"""Mutations: flag flips (operator; admin when the flip can increase risk) and the kill
switch (engage: operator; lift: admin). Each is journaled with its caller before it acts."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, NoReturn

from fastapi import Depends, FastAPI, HTTPException, Path, Response, status
from fastapi.exceptions import RequestValidationError

from apps.api.audit import journal_refusal, journal_request
from apps.api.auth import Caller, Role
from apps.api.context import ApiContext, context
from apps.api.schemas import FlagList, FlagUpdate, KillSwitchChange, KillSwitchResult
from apps.api.security import Operator, Viewer, ensure_role
from quorum.config import FLAG_SPECS, FlagChange, FlagState, FlagValue
from quorum.domain import JournalKind
from quorum.errors import QuorumError
from quorum.pipeline import KillSwitchView

Ctx = Annotated[ApiContext, Depends(context)]

RISK_INCREASING: dict[str, FlagValue] = {
    "trading.mode": "live",
    "trading.live_confirm": True,
    "llm.allow_paid": True,
}
"""Flips that need the admin role (lifting the kill switch is the other admin action)."""


def flag_role(name: str, value: FlagValue) -> Role:
    return Role.ADMIN if RISK_INCREASING.get(name) == value else Role.OPERATOR


def list_flags(ctx: Ctx, _: Viewer) -> FlagList:
    """Every declared flag with its value, default and source, and the store's version."""
    flags = ctx.runtime.flags
    states = [_kill_switch_flag(ctx, f) if f.name == "kill_switch" else f for f in flags.states()]
    return FlagList(version=flags.version(), flags=states)


def _kill_switch_flag(ctx: ApiContext, flag: FlagState) -> FlagState:
    """The ``kill_switch`` flag as the one trading state shows it (a set flag is a command
    the next sweep consumes; the state is the record)."""
    trading = ctx.pipeline.deps.execution.trading_status()
    return flag.model_copy(
        update={
            "value": trading.engaged or bool(flag.value),
            "source": f"trading_state ({trading.state.value}); flag {flag.source}",
        }
    )


def set_flag(
    ctx: Ctx,
    caller: Operator,
    name: Annotated[str, Path(description="A declared flag, e.g. analysis.enabled.")],
    body: FlagUpdate,
) -> FlagChange:
    """Flip one flag, validated against FLAG_SPECS; the flag store journals the flip."""
    spec = FLAG_SPECS.get(name)
    if spec is None:
        known = ", ".join(sorted(FLAG_SPECS))
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown flag {name!r}: known are {known}")
    if name == "kill_switch":
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "kill_switch: use POST /kill-switch (it also cancels orders and flattens positions)",
        )
    try:
        value = spec.validate(body.value, "request body")
    except QuorumError as exc:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("body", "value"),
                    "msg": str(exc),
                    "input": body.value,
                }
            ]
        ) from None
    ensure_role(caller, flag_role(name, value), f"setting {name} to {body.value!r}")
    args = {"name": name, "value": value, "reason": body.reason}
    seq = journal_request(ctx.runtime, JournalKind.FLAG_CHANGE, caller, f"PUT /flags/{name}", args)
    try:
        return ctx.runtime.flags.set(name, value, caller.actor, body.reason)
    except QuorumError as exc:
        _refused(ctx, JournalKind.FLAG_CHANGE, caller, f"PUT /flags/{name}", seq, exc)


def get_kill_switch(ctx: Ctx, _: Viewer) -> KillSwitchView:
    """Whether the kill switch is engaged, by whom, why and since when."""
    return ctx.pipeline.status().kill_switch


def post_kill_switch(
    ctx: Ctx, caller: Operator, body: KillSwitchChange, response: Response
) -> KillSwitchResult:
    """Engage (operator: trading reducing, cancels open orders, flattens positions, then
    halted when flat) or lift (admin: active). 502 when a cancel or flatten failed."""
    engaged = body.state == "on"
    ensure_role(caller, Role.OPERATOR if engaged else Role.ADMIN, f"kill switch {body.state}")
    request = f"POST /kill-switch {body.state}"
    args = {"engaged": engaged, "reason": body.reason}
    seq = journal_request(ctx.runtime, JournalKind.KILL_SWITCH, caller, request, args)
    try:
        result = ctx.pipeline.set_kill_switch(engaged, caller.actor, body.reason)
    except QuorumError as exc:
        _refused(ctx, JournalKind.KILL_SWITCH, caller, request, seq, exc)
    complete = not result.get("failures")
    if not complete:
        response.status_code = status.HTTP_502_BAD_GATEWAY
    return KillSwitchResult(
        engaged=engaged,
        by=caller.actor,
        reason=body.reason,
        journal_seq=seq,
        result=result,
        complete=complete,
    )


def _refused(
    ctx: ApiContext, kind: JournalKind, caller: Caller, request: str, seq: int, exc: QuorumError
) -> NoReturn:
    journal_refusal(ctx.runtime, kind, caller, request, seq, str(exc))
    raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc


def install(app: FastAPI) -> None:
    tags: list[str | Enum] = ["control"]
    app.add_api_route("/flags", list_flags, methods=["GET"], response_model=FlagList, tags=tags)
    app.add_api_route(
        "/flags/{name}",
        set_flag,
        methods=["PUT"],
        response_model=FlagChange,
        responses={
            404: {"description": "no such flag"},
            409: {"description": "refused (live guard; kill_switch: use POST /kill-switch)"},
        },
        tags=tags,
    )
    app.add_api_route(
        "/kill-switch",
        get_kill_switch,
        methods=["GET"],
        response_model=KillSwitchView,
        tags=tags,
    )
    app.add_api_route(
        "/kill-switch",
        post_kill_switch,
        methods=["POST"],
        response_model=KillSwitchResult,
        responses={
            409: {"description": "the pipeline refused the change"},
            502: {
                "model": KillSwitchResult,
                "description": "engaged, but a cancel or a flatten could not be done",
            },
        },
        tags=tags,
    )
