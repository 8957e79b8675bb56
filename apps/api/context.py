"""What the routes reach: the runtime, the pipeline, the token authority and the probes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import text
from sqlalchemy.engine import Engine

from apps.api.auth import TokenAuthority
from apps.api.probes import Probe, ReadinessProbes
from apps.bootstrap import Runtime
from quorum.config import AppSettings
from quorum.config.settings.api import ApiSettings
from quorum.execution import ExecutionService
from quorum.pipeline import PipelineTasks


@dataclass
class ApiContext:
    runtime: Runtime
    pipeline: PipelineTasks
    tokens: TokenAuthority
    probes: ReadinessProbes
    closers: tuple[Any, ...] = ()

    @property
    def settings(self) -> ApiSettings:
        return self.runtime.settings.api

    @property
    def execution(self) -> ExecutionService:
        return self.pipeline.deps.execution

    def close(self) -> None:
        self.probes.close()
        for closer in self.closers:
            closer.close()


def context(request: Request) -> ApiContext:
    """The app's context (a FastAPI dependency)."""
    ctx: ApiContext | None = getattr(request.app.state, "ctx", None)
    if ctx is None:
        raise RuntimeError("the API context is not built yet (lifespan not started)")
    return ctx


def celery_broker_url(settings: AppSettings) -> str | None:
    """The Celery broker URL (``QUORUM_BROKER_URL``); ``None`` runs tasks in-process."""
    return settings.broker_url


def build_probes(
    settings: AppSettings, engine: Engine, execution: ExecutionService
) -> tuple[ReadinessProbes, tuple[Any, ...]]:
    """Database, Celery broker (Redis PING when configured) and exchange reachability."""
    timeout = settings.api.probe_timeout_s
    closers: list[Any] = []

    def database() -> str:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return engine.dialect.name

    broker: Probe | None = None
    url = celery_broker_url(settings)
    if url is not None and url.startswith(("redis://", "rediss://", "unix://")):
        import redis

        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=2 * timeout,
            socket_timeout=2 * timeout,
            retry_on_timeout=False,
        )
        closers.append(client)

        def broker() -> str:
            client.ping()
            return "redis PONG"

    def exchange() -> str:
        brokers = execution.ctx.brokers
        if not brokers:
            raise RuntimeError("no venue configured")
        for venue, guarded in sorted(brokers.items()):
            guarded.inner.fetch_balance()  # the bare adapter: a probe must not trip the breaker
            state = guarded.breaker.state.value
            if state == "open":
                raise RuntimeError(f"venue {venue}: circuit breaker open")
        ready = "reconciled" if execution.ready else "not reconciled in this process"
        return f"{', '.join(sorted(brokers))} reachable ({ready})"

    probes = ReadinessProbes(
        {"database": database, "broker": broker, "exchange": exchange}, timeout
    )
    return probes, tuple(closers)
