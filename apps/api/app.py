"""The FastAPI app factory. Thin: parse input, call libs, format output.

``create_app(runtime, pipeline)`` takes the wired services (tests inject a Runtime on a
temporary SQLite database); whatever it is not given, the lifespan builds at start-up
(``apps.bootstrap.build_runtime`` / ``build_pipeline``) and closes at shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import ExitStack, asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from slowapi import _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded
from slowapi.middleware import SlowAPIMiddleware

from apps.api.auth import build_token_authority
from apps.api.context import ApiContext, build_probes
from apps.api.ratelimit import build_limiter
from apps.api.routes import control, health, reads
from apps.bootstrap import Runtime
from quorum.config import AppSettings, load_settings
from quorum.errors import QuorumError
from quorum.pipeline import Dispatcher, PipelineTasks

API_VERSION = "1"
DESCRIPTION = """Quorum's operator API: health, status, positions, orders, signals with
their explanations, LLM spend, feature flags, the kill switch and Prometheus metrics.

Bearer tokens (`quorum api token --role viewer|operator|admin --ttl 1h --subject NAME`):
reads need **viewer**; flag flips and engaging the kill switch need **operator**; anything
that can increase risk (lifting the kill switch, `trading.mode=live`,
`trading.live_confirm=true`, `llm.allow_paid=true`) needs **admin**. `/health/*` needs no
token. Every mutation is journaled with its caller (`api:<subject>`) before it acts."""


def create_app(
    runtime: Runtime | None = None,
    pipeline: PipelineTasks | None = None,
    *,
    settings: AppSettings | None = None,
) -> FastAPI:
    """The app; ``settings`` is read only when no runtime is given (default: load_settings)."""
    app_settings = runtime.settings if runtime is not None else settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with ExitStack() as stack:  # closes what it built, last built first
            rt = runtime
            if rt is None:
                from apps.bootstrap import build_runtime

                rt = build_runtime(app_settings)
                stack.callback(rt.close)
            tasks = pipeline
            if tasks is None:
                from apps.bootstrap import build_pipeline
                from quorum.pipeline.options import PipelineOptions

                dispatcher, close_dispatcher = _dispatcher(rt.settings)
                stack.callback(close_dispatcher)
                # this process serves /metrics: its monitor passes publish the gauges
                tasks = build_pipeline(rt, dispatcher, PipelineOptions(publish_gauges=True))
                stack.callback(tasks.close)
            probes, closers = build_probes(rt.settings, rt.engine, tasks.deps.execution)
            ctx = ApiContext(
                rt, tasks, build_token_authority(rt.settings.api, rt.secrets, rt.clock), probes,
                closers,
            )  # fmt: skip
            stack.callback(ctx.close)
            app.state.ctx = ctx
            stack.callback(setattr, app.state, "ctx", None)
            yield

    app = FastAPI(
        title="Quorum API",
        version=API_VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    limiter = build_limiter(app_settings.api)
    app.state.limiter = limiter
    app.state.ctx = None
    app.add_middleware(SlowAPIMiddleware)
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)  # type: ignore[arg-type]
    app.add_exception_handler(QuorumError, _quorum_error)
    from quorum.telemetry.tracing import configure_tracing, instrument_libraries

    if configure_tracing("quorum-api") is not None:  # only when OTEL_* variables ask for it
        instrument_libraries(app=app)
    # Routes go on the app itself, not through include_router: FastAPI 0.165 keeps an
    # included router as one lazy entry, where slowapi's middleware finds no endpoint and
    # would skip the limit (tests/unit/api/test_api_rate_limit.py holds this).
    health.install(app, limiter)
    reads.install(app)
    control.install(app)
    return app


def _dispatcher(settings: AppSettings) -> tuple[Dispatcher, Callable[[], None]]:
    """Where the API's pipeline sends follow-up work: Celery when a broker is set.

    The API calls only ``status``, ``signals`` and ``set_kill_switch``, which act directly;
    a kill switch that could not flatten everything nudges the workers' ``monitor``.
    """
    from apps.worker.dispatcher import pipeline_dispatcher

    return pipeline_dispatcher(settings)


async def _quorum_error(request: Request, exc: Exception) -> JSONResponse:
    """A library refusal the route did not map: the request conflicts with current state."""
    return JSONResponse({"detail": str(exc)}, status_code=409)
