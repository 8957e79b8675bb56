"""``quorum llm``: spend from the cost ledger, and the model registry with its price check.

Exit codes: 0 done, 1 the start-up check failed (``models``), 2 the command could not run.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from quorum.errors import QuorumError

if TYPE_CHECKING:
    from quorum.llm.ledger import SpendBy

app = typer.Typer(
    name="llm",
    help="The LLM layer: spend by model, node, role, day or trade; the model registry and prices.",
    no_args_is_help=True,
)

DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: database.url from the settings)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _fail(message: str, code: int = 2) -> NoReturn:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] [red]{escape(message)}[/]")
    raise typer.Exit(code)


def _plain(value: Decimal) -> str:
    """``0.15`` rather than ``0.15000000`` or ``1.5E-7``."""
    return format(value.normalize(), "f")


def _maybe(value: Decimal | None) -> str | None:
    return None if value is None else _plain(value)


def _database_url(db: str | None) -> str:
    if db is not None:
        return db
    from quorum.config import load_settings

    return load_settings().database.url


@app.command("spend")
def spend(
    by: Annotated[
        str,
        typer.Option(
            "--by", help="Group by model, node, role, day or trade.", case_sensitive=False
        ),
    ] = "model",
    since: Annotated[
        str | None, typer.Option("--since", help="First UTC day to include (YYYY-MM-DD).")
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Calls, tokens, cache hits and USD spent, from the cost ledger (llm_calls): one row per
    provider call (retries, repairs and fallbacks included). ``--by trade``: the calls of
    the analysis whose signal opened each trade. The caption (``--json``: ``summary``)
    gives the spend per trade and per approved signal."""
    from sqlalchemy.exc import SQLAlchemyError

    from quorum.llm.ledger import spend_by, spend_per_outcome
    from quorum.store import create_engine_for, sqlite_file

    group = by.lower()
    if group not in ("model", "node", "role", "day", "trade"):
        raise typer.BadParameter("expected model, node, role, day or trade", param_hint="--by")
    key: SpendBy = group  # type: ignore[assignment]  # checked above
    try:
        url = _database_url(db)
        database = sqlite_file(url)
        if database is not None and not database.is_file():
            _fail(f"no database at {database} (run the pipeline or `quorum run` first)")
        engine = create_engine_for(url)
        try:
            rows = spend_by(engine, key, since)
            outcome = spend_per_outcome(engine)
        finally:
            engine.dispose()
    except (QuorumError, SQLAlchemyError) as exc:
        _fail(f"spend: {exc}")
    summary = {
        "total_usd": _plain(outcome.total_usd),
        "trades": outcome.trades,
        "trades_usd": _plain(outcome.trades_usd),
        "per_trade_usd": _maybe(outcome.per_trade_usd),
        "approved_signals": outcome.approved_signals,
        "approved_usd": _plain(outcome.approved_usd),
        "per_approved_signal_usd": _maybe(outcome.per_approved_signal_usd),
    }
    if as_json:
        payload = [
            {
                group: r.key,
                "calls": r.calls,
                "cache_hits": r.cache_hits,
                "input_tokens": r.input_tokens,
                "output_tokens": r.output_tokens,
                "cost_usd": _plain(r.cost_usd),
                "mean_latency_ms": round(r.mean_latency_ms, 3),
            }
            for r in rows
        ]
        typer.echo(json.dumps({"rows": payload, "summary": summary}, indent=2))
        return
    table = Table(title=f"LLM spend by {group}")
    for column in (group, "calls", "cache hits", "tokens in", "tokens out", "USD", "mean ms"):
        table.add_column(column, justify="left" if column == group else "right")
    for r in rows:
        table.add_row(
            escape(r.key),
            str(r.calls),
            str(r.cache_hits),
            str(r.input_tokens),
            str(r.output_tokens),
            f"{r.cost_usd:.6f}",
            f"{r.mean_latency_ms:.1f}",
        )
    total = sum((r.cost_usd for r in rows), start=0)
    table.caption = (
        f"total {total:.6f} USD over {sum(r.calls for r in rows)} calls; "
        f"per trade {summary['per_trade_usd'] or '-'} USD ({outcome.trades} trades), "
        f"per approved signal {summary['per_approved_signal_usd'] or '-'} USD "
        f"({outcome.approved_signals})"
    )
    Console().print(table)


@app.command("models")
def models(
    config: Annotated[
        str | None,
        typer.Option("--config", help="YAML file with an llm: section (default: $QUORUM_CONFIG)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The model registry: role, provider, price per million tokens, key status, check result."""
    from quorum.config import EnvSecrets
    from quorum.llm.money import MILLION
    from quorum.llm.pricing import check_price
    from quorum.llm.registry import ModelRegistry
    from quorum.llm.settings import LLMSettings, load_llm_settings

    path = config or os.environ.get("QUORUM_CONFIG")
    try:
        settings = load_llm_settings(path) if path else LLMSettings()
    except QuorumError as exc:
        _fail(str(exc))
    checks = [check_price(spec) for spec in settings.models]
    failed = [c for c in checks if not c.ok]
    registry = None
    if not failed:
        registry = ModelRegistry.build(settings, EnvSecrets())
    rows = []
    for spec, check in zip(settings.models, checks, strict=True):
        entry = registry.get(spec.name) if registry is not None else None
        rows.append(
            {
                "name": spec.name,
                "role": spec.role,
                "model": spec.model,
                "paid": spec.paid,
                "price_source": check.price.source if check.price else None,
                "input_usd_per_mtok": _plain(check.price.input_per_token * MILLION)
                if check.price
                else None,
                "output_usd_per_mtok": _plain(check.price.output_per_token * MILLION)
                if check.price
                else None,
                "accuracy": spec.accuracy,
                "available": entry.enabled if entry is not None else False,
                "status": check.problem or (entry.disabled_reason if entry else None) or "ok",
            }
        )
    rows.append(
        {
            "name": "offline",
            "role": ",".join(settings.offline.roles),
            "model": "quorum-local/analyst-v1",
            "paid": False,
            "price_source": "free",
            "input_usd_per_mtok": "0",
            "output_usd_per_mtok": "0",
            "accuracy": settings.offline.accuracy,
            "available": True,
            "status": "ok",
        }
    )
    if as_json:
        typer.echo(
            json.dumps(
                {"startup_check": "ok" if not failed else "failed", "models": rows}, indent=2
            )
        )
    else:
        table = Table(title="LLM model registry")
        for column in (
            "name",
            "role",
            "model",
            "paid",
            "price",
            "in $/Mtok",
            "out $/Mtok",
            "acc",
            "status",
        ):
            table.add_column(column)
        for row in rows:
            status = str(row["status"])
            table.add_row(
                escape(str(row["name"])),
                escape(str(row["role"])),
                escape(str(row["model"])),
                "yes" if row["paid"] else "no",
                str(row["price_source"] or "-"),
                str(row["input_usd_per_mtok"] or "-"),
                str(row["output_usd_per_mtok"] or "-"),
                f"{row['accuracy']:.2f}",
                escape(status) if status == "ok" else f"[yellow]{escape(status)}[/]",
            )
        table.caption = "start-up check: " + ("ok" if not failed else f"FAILED ({len(failed)})")
        Console().print(table)
    if failed:
        raise typer.Exit(1)
