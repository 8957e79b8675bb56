"""Shared builders for the API tests: a Runtime and pipeline on a temporary SQLite
database (built by ``apps.bootstrap``), the app over them, tokens, and real data — orders
and positions through the pipeline's paper venue, ledger rows, flags."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from apps.api.app import create_app
from apps.api.auth import Role, TokenAuthority, build_token_authority
from apps.bootstrap import Runtime, build_pipeline, build_runtime
from quorum.config import AppSettings
from quorum.domain import JournalEntry, OrderIntent, RiskDecision, Verdict
from quorum.execution import ExecOrder, PaperVenue
from quorum.llm.ledger import CallRecord, LedgerWriter
from quorum.llm.money import to_nano
from quorum.pipeline import EmbeddedDispatcher, PipelineTasks
from quorum.pipeline.options import PipelineParts
from quorum.store import session_scope
from quorum.testing import make_order_intent

SYMBOL = "BTC/USDT"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass
class ApiEnv:
    runtime: Runtime
    pipeline: PipelineTasks
    venue: PaperVenue
    app: FastAPI
    client: TestClient
    tokens: TokenAuthority

    def token(self, role: Role, subject: str = "alice", ttl: timedelta = timedelta(hours=1)) -> str:
        return self.tokens.mint(subject, role, ttl)

    def auth(self, role: Role, subject: str = "alice") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, subject)}"}

    def get(self, path: str, role: Role = Role.VIEWER, **kw: Any) -> Any:
        return self.client.get(path, headers=self.auth(role), **kw)

    def filled_order(self, minutes: int, **overrides: Any) -> ExecOrder:
        """A market order stored and sent through the execution service to the paper venue."""
        intent = make_order_intent(signal_time=T0 + timedelta(minutes=minutes), **overrides)
        execution = self.pipeline.deps.execution
        with session_scope(self.runtime.engine) as session:
            outcome = execution.store_intent(session, intent, approve(intent))
        assert outcome.order is not None, outcome.reason
        return execution.execute(intent.client_order_id)

    def ledger(self, node: str, model: str, day: str, cost_usd: str, tokens: int = 100) -> None:
        """One row in the LLM cost ledger, through the ledger's writer."""
        writer = LedgerWriter(self.runtime.engine, self.runtime.clock, batch=1)
        writer.write(
            CallRecord(
                time=f"{day}T00:00:00Z", day=day, node=node, role="analyst", symbol=SYMBOL,
                run_id="api-test", policy="cost_aware", model=model, provider="test", why="test",
                fallbacks="", latency_ms=10.0, input_tokens=tokens, output_tokens=tokens // 2,
                cost_nano=to_nano(Decimal(cost_usd)), cache_hit=False, outcome="ok",
                prompt_version="v1", schema_version="v1", repairs=0,
            )
        )  # fmt: skip
        writer.close()

    def journal(self, kind: str | None = None) -> list[JournalEntry]:
        entries = self.runtime.journal.read()
        return [e for e in entries if kind is None or e.kind.value == kind]


def approve(intent: OrderIntent) -> RiskDecision:
    return RiskDecision(
        symbol=intent.symbol,
        as_of=intent.signal_time,
        verdict=Verdict.APPROVED,
        quantity=intent.quantity,
        reason="approved for the API test",
    )


def app_settings(tmp_path: Path, api: dict[str, Any] | None = None, **top: Any) -> AppSettings:
    var = tmp_path / "var"
    return AppSettings(
        database={"url": f"sqlite:///{tmp_path / 'quorum.db'}"},  # type: ignore[arg-type]
        flags={"file_path": str(var / "flags.json"), "audit_path": str(var / "flag-audit.jsonl")},  # type: ignore[arg-type]
        journal={"local_key_path": str(var / "journal.key"), "checkpoint_dir": str(var / "cp")},  # type: ignore[arg-type]
        api={"local_key_path": str(tmp_path / "api.key"), **(api or {})},  # type: ignore[arg-type]
        **top,
    )


@contextmanager
def api_env(
    tmp_path: Path, monkeypatch: Any, api: dict[str, Any] | None = None, **top: Any
) -> Iterator[ApiEnv]:
    """The app over a real runtime and pipeline; the working directory is ``tmp_path``
    (the flag file, journal key and analysis checkpoints live under ``var/``)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(tmp_path)
    runtime = build_runtime(app_settings(tmp_path, api, **top))
    parts: list[PipelineParts] = []
    pipeline = build_pipeline(runtime, EmbeddedDispatcher(), parts=parts)
    venue = parts[0].venue
    venue.set_quote(SYMBOL, Decimal("99.5"), Decimal("100.5"), Decimal(100))
    app = create_app(runtime, pipeline)
    try:
        with TestClient(app) as client:
            tokens = build_token_authority(runtime.settings.api, runtime.secrets, runtime.clock)
            yield ApiEnv(runtime, pipeline, venue, app, client, tokens)
    finally:
        pipeline.close()
        runtime.close()
