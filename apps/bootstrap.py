"""Composition root: settings → adapters → services. The only place adapters are built.

Entry points (CLI, Celery worker, API) call :func:`build_runtime` once at start-up. It
validates the configuration, refuses live trading that is not allowed, brings the
database schema up to date, and wires the journal (with signed checkpoints) and the
feature flags (whose flips are chained into the journal).
"""

from __future__ import annotations

import logging
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
from quorum.errors import ConfigError
from quorum.journal import (
    DirectoryCheckpointStore,
    Ed25519Signer,
    Journal,
    JournalFlagRecorder,
    ObjectStoreCheckpointStore,
    build_checkpoint_store,
    journal_id,
    load_private_key,
    public_key_pem,
)
from quorum.ports import Broker, SecretsProvider
from quorum.store import create_engine_for, migrate

if TYPE_CHECKING:
    from collections.abc import Callable

    from langgraph.checkpoint.base import BaseCheckpointSaver

    from quorum.agents.settings import AgentSettings
    from quorum.domain import Timeframe
    from quorum.llm import LLMSettings, QuorumRouter
    from quorum.market import MarketDataLoader
    from quorum.pipeline import Dispatcher, PipelineTasks
    from quorum.pipeline.options import PipelineOptions, PipelineParts, RunSettings

_log = logging.getLogger(__name__)


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

    def build_pipeline(
        self,
        dispatcher: Dispatcher,
        options: PipelineOptions | None = None,
        *,
        parts: list[PipelineParts] | None = None,
    ) -> PipelineTasks:
        """:func:`build_pipeline` over this runtime (how library drivers such as the
        backtest reach the composition root without importing ``apps``)."""
        return build_pipeline(self, dispatcher, options, parts=parts)

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
    journal = build_journal(settings, engine, clock, secrets)
    signer = journal.signer
    store = journal.checkpoint_store
    assert isinstance(signer, Ed25519Signer)
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


def build_journal(
    settings: AppSettings,
    engine: Engine,
    clock: Clock,
    secrets: SecretsProvider,
    database_url: str | None = None,
) -> Journal:
    """The one checkpointing journal of ``engine`` (signer and store from the settings):
    every process that appends (the app, the CLI commands) builds its journal here, so
    no append path escapes the checkpoints. ``database_url`` is ``engine``'s URL when it
    is not the settings' one."""
    store = build_checkpoint_store(
        settings.journal,
        secrets,
        database_url or settings.database.url,
        clock=clock,
        journal_id=journal_id(engine),
    )
    return Journal(
        engine,
        clock,
        signer=_signer(settings, secrets),
        checkpoint_store=store,
        checkpoint_every_n=settings.journal.checkpoint_every_n,
        checkpoint_every_s=settings.journal.checkpoint_every_s,
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


def run_settings(settings: AppSettings, options: PipelineOptions) -> RunSettings:
    """The deployment's agents / scoring / risk / llm settings with the run's overrides and
    LLM mode applied (ValueError naming each bad key)."""
    from quorum.config.settings.overrides import apply_override
    from quorum.pipeline.options import OVERRIDABLE, RunSettings, llm_for_mode

    unknown = sorted(set(options.overrides) - set(OVERRIDABLE))
    if unknown:
        raise ValueError(f"overrides: unknown components {unknown}; expected {list(OVERRIDABLE)}")
    merged = {
        name: apply_override(name, getattr(settings, name), options.overrides.get(name))
        for name in OVERRIDABLE
    }
    merged["llm"] = llm_for_mode(merged["llm"], options.llm_mode)
    return RunSettings(**merged)


def shared_cooldowns(settings: AppSettings, llm: LLMSettings) -> LLMSettings:
    """``llm`` with its router cooldowns in the Celery broker's Redis in cluster mode (a
    ``redis://`` broker) unless ``llm.cooldown_redis_url`` names one: every worker then
    skips a deployment another one cooled down. Embedded runs keep them in process."""
    broker = settings.broker_url or ""
    if llm.cooldown_redis_url is not None or not broker.startswith(("redis://", "rediss://")):
        return llm
    return llm.model_copy(update={"cooldown_redis_url": broker})


def build_router(runtime: Runtime, llm: LLMSettings) -> QuorumRouter:
    """The LLM router over ``llm`` (offline analyst when no model key resolves)."""
    from quorum.llm import JournalBudgetEvents, build_llm_router
    from quorum.llm.metrics import llm_metrics

    return build_llm_router(
        shared_cooldowns(runtime.settings, llm),
        clock=runtime.clock,
        secrets=runtime.secrets,
        flags=runtime.flags,
        engine=runtime.engine,
        metrics=llm_metrics(),
        events=JournalBudgetEvents(runtime.journal, runtime.engine),
    )


def with_min_opinions(agents: AgentSettings, router: QuorumRouter) -> AgentSettings:
    """``agents`` with ``min_opinions`` resolved: 2 when ``router`` has a paid model enabled
    (unless the settings say otherwise), else 0."""
    from quorum.agents.settings import resolve_min_opinions

    return resolve_min_opinions(agents, any(m.paid and m.enabled for m in router.registry))


def build_pipeline(
    runtime: Runtime,
    dispatcher: Dispatcher,
    options: PipelineOptions | None = None,
    *,
    parts: list[PipelineParts] | None = None,
) -> PipelineTasks:
    """The pipeline's task bodies over this process's runtime: the one place that builds
    them, for every entry point (see :class:`~quorum.pipeline.options.PipelineOptions`).

    Market data from ``settings.data`` (``open_source``) unless given; the LLM router from
    the run's LLM settings (offline analyst when no model key resolves); the analysis
    checkpointer (with the run's database: PostgreSQL, or a SQLite file next to the database's;
    in memory when asked); the execution service over the paper venue stored in the
    database (shared by every process on it, fed the base bars as they close) — or, for a
    replay, over a :class:`~quorum.execution.ReplayVenue` the bar driver feeds.
    Start-up reconciliation runs here (unless ``options.reconcile`` is False: read-only
    callers such as ``quorum status``), so ``execute`` is unblocked once this returns.
    ``parts`` (a list) receives the venue, the market source and the run's settings.
    """
    from quorum.agents import compile_analysis_graph
    from quorum.domain import split_symbol
    from quorum.execution import LIVE, PAPER, ExecutionService
    from quorum.execution.paper import (
        InProcessPaperBroker,
        PaperSettings,
        ReplayVenue,
        StoredFaults,
        StoredPaperVenue,
    )
    from quorum.pipeline import PaperBarFeed, PipelineDeps, PipelineTasks
    from quorum.pipeline.options import PipelineOptions, PipelineParts
    from quorum.store import session_factory
    from quorum.telemetry.metrics import exporter_configured

    options = options or PipelineOptions()
    pipeline = options.settings or runtime.settings.pipeline
    components = run_settings(runtime.settings, options)
    clock = options.clock or runtime.clock
    source = options.market or market_source(runtime, pipeline.data, clock, pipeline.base_timeframe)
    balances = dict.fromkeys(
        sorted({split_symbol(s)[1] for s in pipeline.symbols}), pipeline.paper_equity
    )
    venue: StoredPaperVenue | ReplayVenue
    mode: Callable[[], str]
    if options.replay is None:
        venue = StoredPaperVenue(
            runtime.engine, clock, PaperSettings(initial_balances=balances), name=PAPER
        )
        broker = InProcessPaperBroker(venue, faults=StoredFaults(venue))
        quotes = PaperBarFeed(venue, source, pipeline.base_timeframe)
        mode = lambda: str(runtime.flags.get("trading.mode"))  # noqa: E731 (read at each send)
    else:
        costs = options.replay
        venue = ReplayVenue(
            clock,
            PaperSettings(
                initial_balances=balances,
                maker_fee=costs.fee,
                taker_fee=costs.fee,
                slippage=costs.slippage,
                seed=costs.seed,
            ),
        )
        broker = InProcessPaperBroker(venue)
        quotes = None
        mode = lambda: LIVE if options.live else PAPER  # noqa: E731
    brokers: dict[str, Broker] = {PAPER: broker}
    if options.replay is None or options.live:
        live = live_broker(runtime, clock)
        if live is not None:
            brokers[LIVE] = live
    execution = ExecutionService(
        session_factory(runtime.engine),
        runtime.journal,
        clock,
        brokers,
        settings=runtime.settings.execution,
        mode=mode,
    )
    if options.reconcile:
        execution.reconcile(startup=True)
    router = build_router(runtime, components.llm)
    agents = with_min_opinions(components.agents, router)
    checkpointer = analysis_checkpointer(runtime.settings.database.url, options.memory_checkpoints)
    deps = PipelineDeps(
        engine=runtime.engine,
        journal=runtime.journal,
        clock=clock,
        flags=runtime.flags,
        execution=execution,
        market=source,
        router=router,
        reload_accuracy=router.accuracy.refresh,
        checkpointer=checkpointer,
        dispatcher=dispatcher,
        graph=compile_analysis_graph(agents, checkpointer),
        settings=pipeline,
        risk=components.risk,
        agents=agents,
        scoring=components.scoring,
        quotes=quotes,
        trading_mode=mode(),
        run_id=options.run_id,
        fill_time=venue.fill_time if isinstance(venue, ReplayVenue) else None,
        venue_spec=venue.settings,
        publish_gauges=exporter_configured()
        if options.publish_gauges is None
        else options.publish_gauges,
    )
    if parts is not None:
        parts.append(PipelineParts(venue=venue, market=source, settings=components))
    return PipelineTasks(deps)


def analysis_checkpointer(database_url: str, memory: bool = False) -> BaseCheckpointSaver[str]:
    """Where analysis graph checkpoints live: with the run's database, so two databases
    never share (or resume) each other's threads. In memory when asked or when the database
    is; in the database itself on PostgreSQL (cluster mode); next to a SQLite file as
    ``<stem>.analysis-checkpoints.sqlite``."""
    from quorum.agents import memory_checkpointer, postgres_checkpointer, sqlite_checkpointer

    if database_url.startswith("postgresql"):
        return memory_checkpointer() if memory else postgres_checkpointer(database_url)
    path = sqlite_path(database_url)
    if memory or path is None:
        return memory_checkpointer()
    return sqlite_checkpointer(path.with_name(f"{path.stem}.analysis-checkpoints.sqlite"))


def sqlite_path(database_url: str) -> Path | None:
    """The file of a ``sqlite:///PATH`` URL (None for an in-memory or non-SQLite database)."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def live_broker(runtime: Runtime, clock: Clock) -> Broker | None:
    """The ccxt broker of ``trading.exchange`` when one is configured, else None.

    Built whenever an exchange is configured, so open live positions stay managed after a
    flip back to paper. In live mode its credentials are checked with one signed read now
    (a refused key stops start-up with the venue's answer); in paper mode a configuration
    whose secrets do not resolve leaves live trading unavailable (the live guard refuses
    the flip) and says so in the log."""
    from quorum.execution.live import build_live_broker, check_credentials

    trading = runtime.settings.trading
    if trading.exchange.id is None:
        return None
    live_now = str(runtime.flags.get("trading.mode")) == "live"
    try:
        broker = build_live_broker(trading.exchange, runtime.secrets, clock)
    except ConfigError as exc:
        if live_now:
            raise
        _log.warning("live broker not built (live trading unavailable): %s", exc)
        return None
    if live_now:
        check_credentials(broker)
    return broker


def market_source(
    runtime: Runtime, spec: str, clock: Clock, base_timeframe: Timeframe
) -> MarketDataLoader:
    """``open_source(spec)``; a ``ccxt:ID`` source of the configured exchange uses its
    ``api_url`` and ccxt options (the market data of a testnet or a simulator is the one its
    orders trade on). Public endpoints only: no credentials are handed to the data path."""
    from quorum.market import open_source

    exchange = runtime.settings.trading.exchange
    kind, _, exchange_id = spec.partition(":")
    config = None
    if kind == "ccxt" and exchange_id == exchange.id:
        from quorum.ccxt_adapter.config import exchange_config

        config = exchange_config(exchange_id, exchange.api_url, exchange.ccxt_options)
    return open_source(spec, clock=clock, base_timeframe=base_timeframe, ccxt_config=config)
