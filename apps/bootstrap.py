"""Composition root: settings → adapters → services. The only place adapters are built.

Entry points (CLI, Celery worker, API) call :func:`build_runtime` once at start-up. It
validates the configuration, refuses live trading that is not allowed, brings the
database schema up to date, and wires the journal (with signed checkpoints) and the
feature flags (whose flips are chained into the journal).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from quorum.clock import Clock, SystemClock
from quorum.config import (
    AppSettings,
    FlagStore,
    build_flag_store,
    build_secrets_provider,
    check_live_allowed,
    load_settings,
    make_live_guard,
)
from quorum.journal import (
    DirectoryCheckpointStore,
    Ed25519Signer,
    Journal,
    JournalFlagRecorder,
    ObjectStoreCheckpointStore,
    build_checkpoint_store,
    load_private_key,
    public_key_pem,
)
from quorum.ports import SecretsProvider
from quorum.store import create_engine_for, migrate

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from quorum.config.settings.pipeline import PipelineSettings
    from quorum.execution import PaperVenue
    from quorum.pipeline import Dispatcher, PipelineTasks
    from quorum.ports import MarketData


@dataclass(frozen=True)
class Runtime:
    """The wired services of one process."""

    settings: AppSettings
    clock: Clock
    secrets: SecretsProvider
    engine: Engine
    journal: Journal
    flags: FlagStore
    checkpoints: str
    """Where checkpoints go: a directory, or ``s3://bucket/prefix`` (for verify commands)."""
    public_key_pem: str
    public_key_path: Path

    def close(self) -> None:
        """Write the shutdown checkpoint and release the database."""
        self.journal.close()
        self.engine.dispose()


def build_runtime(settings: AppSettings | None = None, clock: Clock | None = None) -> Runtime:
    settings = settings or load_settings()
    clock = clock or SystemClock()
    secrets = build_secrets_provider(settings, clock=clock)
    check_live_allowed(settings, secrets)
    engine = create_engine_for(settings.database.url)
    migrate(engine)
    from quorum.telemetry.tracing import configure_tracing, instrument_libraries

    if configure_tracing("quorum") is not None:  # only when OTEL_* variables ask for it
        instrument_libraries(engine=engine)
    signer = _signer(settings, secrets)
    store = build_checkpoint_store(settings.journal, secrets, settings.database.url, clock=clock)
    journal = Journal(
        engine,
        clock,
        signer=signer,
        checkpoint_store=store,
        checkpoint_every_n=settings.journal.checkpoint_every_n,
        checkpoint_every_s=settings.journal.checkpoint_every_s,
    )
    flags = build_flag_store(
        settings,
        clock=clock,
        guard=make_live_guard(settings, secrets),
        recorder=JournalFlagRecorder(journal, engine),
    )
    return Runtime(
        settings=settings,
        clock=clock,
        secrets=secrets,
        engine=engine,
        journal=journal,
        flags=flags,
        checkpoints=_location(store),
        public_key_pem=public_key_pem(signer.public_key()),
        public_key_path=_publish_public_key(settings, signer),
    )


def _location(store: object) -> str:
    if isinstance(store, DirectoryCheckpointStore):
        return str(store.path)
    if isinstance(store, ObjectStoreCheckpointStore):
        return store.location
    return repr(store)


def _signer(settings: AppSettings, secrets: SecretsProvider) -> Ed25519Signer:
    """The checkpoint signer: a key from the SecretsProvider, else a local key file.

    The local file is the embedded default only: it is created once (mode 0600) and
    reused, so checkpoints of every run verify with the same public key.
    """
    ref = settings.journal.signing_key_ref
    if ref is not None:
        return Ed25519Signer.from_secrets(secrets, ref)
    path = Path(settings.journal.local_key_path)
    if path.exists():
        return Ed25519Signer(load_private_key(path.read_text(), f"journal key file {path}"))
    signer = Ed25519Signer.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(signer.private_key_pem())
    return signer


def _publish_public_key(settings: AppSettings, signer: Ed25519Signer) -> Path:
    """Write the checkpoint public key next to the key file for `quorum journal verify`."""
    path = Path(settings.journal.local_key_path).with_suffix(".pub.pem")
    pem = public_key_pem(signer.public_key())
    if not path.exists() or path.read_text(encoding="ascii") != pem:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(pem, encoding="ascii")
    return path


@dataclass(frozen=True)
class PipelineParts:
    """What :func:`build_pipeline` wired besides the tasks (the replay driver feeds them)."""

    venue: PaperVenue
    market: MarketData


def build_pipeline(
    runtime: Runtime,
    dispatcher: Dispatcher,
    *,
    clock: Clock | None = None,
    market: MarketData | None = None,
    settings: PipelineSettings | None = None,
    run_id: str = "pipeline",
    parts: list[PipelineParts] | None = None,
    reconcile: bool = True,
) -> PipelineTasks:
    """The pipeline's task bodies over this process's runtime.

    Market data from ``settings.data`` (``open_source``), the LLM router from the LLM
    settings (offline analyst when no model key resolves), the analysis checkpointer
    (PostgreSQL when the database is, else ``var/analysis-checkpoints.sqlite``), and the
    execution service over the paper venue stored in the database (one venue shared by every
    process on it, surviving restarts; fed the base bars as they close).
    Start-up reconciliation runs here (unless ``reconcile`` is False: read-only callers such
    as ``quorum status``), so ``execute`` is unblocked once this returns.
    ``clock`` is the pipeline's market clock (a ReplayClock in replays; the journal keeps
    the runtime's wall clock). ``parts`` (a list) receives the venue and market source.
    """
    from quorum.domain import split_symbol
    from quorum.execution import PAPER, ExecutionService
    from quorum.execution.paper import (
        InProcessPaperBroker,
        PaperSettings,
        StoredFaults,
        StoredPaperVenue,
    )
    from quorum.llm import JournalBudgetEvents, build_llm_router
    from quorum.llm.metrics import llm_metrics
    from quorum.market import open_source
    from quorum.pipeline import PaperBarFeed, PipelineDeps, PipelineTasks
    from quorum.store import session_factory

    pipeline = settings or runtime.settings.pipeline
    clock = clock or runtime.clock
    source = market or open_source(
        pipeline.data, clock=clock, base_timeframe=pipeline.base_timeframe
    )
    quotes = sorted({split_symbol(s)[1] for s in pipeline.symbols})
    venue = StoredPaperVenue(
        runtime.engine,
        clock,
        PaperSettings(initial_balances=dict.fromkeys(quotes, pipeline.paper_equity)),
        name=PAPER,
    )
    execution = ExecutionService(
        session_factory(runtime.engine),
        runtime.journal,
        clock,
        {PAPER: InProcessPaperBroker(venue, faults=StoredFaults(venue))},
        settings=runtime.settings.execution,
        mode=lambda: str(runtime.flags.get("trading.mode")),
    )
    if reconcile:
        execution.reconcile(startup=True)
    router = build_llm_router(
        runtime.settings.llm,
        clock=runtime.clock,
        secrets=runtime.secrets,
        flags=runtime.flags,
        engine=runtime.engine,
        metrics=llm_metrics(),
        events=JournalBudgetEvents(runtime.journal, runtime.engine),
    )
    deps = PipelineDeps(
        engine=runtime.engine,
        journal=runtime.journal,
        clock=clock,
        flags=runtime.flags,
        execution=execution,
        market=source,
        router=router,
        checkpointer=analysis_checkpointer(runtime.settings.database.url),
        dispatcher=dispatcher,
        settings=pipeline,
        risk=runtime.settings.risk,
        agents=runtime.settings.agents,
        scoring=runtime.settings.scoring,
        quotes=PaperBarFeed(venue, source, pipeline.base_timeframe),
        trading_mode=str(runtime.flags.get("trading.mode")),
        run_id=run_id,
    )
    if parts is not None:
        parts.append(PipelineParts(venue=venue, market=source))
    return PipelineTasks(deps)


def analysis_checkpointer(database_url: str) -> BaseCheckpointSaver[str]:
    """PostgreSQL when the database is (cluster mode), else a SQLite file under var/."""
    from quorum.agents import postgres_checkpointer, sqlite_checkpointer

    if database_url.startswith("postgresql"):
        return postgres_checkpointer(database_url)
    return sqlite_checkpointer(Path("var") / "analysis-checkpoints.sqlite")
