"""``quorum journal``: verify the audit journal's hash chain and checkpoints, show entries.

Exit codes: ``verify`` 0 when the chain and checkpoints are intact, 1 when damage was
found (the first bad sequence number and the kind of damage are printed), 2 when the
command could not run (no database, unreadable key, bad option).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from apps.cli.options import parse_time
from quorum.clock import SystemClock
from quorum.config import build_secrets_provider, load_settings, mask_url
from quorum.domain import JournalEntry, JournalKind, format_time
from quorum.errors import QuorumError
from quorum.journal import (
    CheckpointStore,
    DamageKind,
    DirectoryCheckpointStore,
    ExplanationReport,
    Journal,
    ObjectStoreCheckpointStore,
    VerifyReport,
    build_checkpoint_store,
    default_checkpoint_dir,
    explain_orders,
    load_public_key,
    parse_store_location,
    read_meta,
    verify_journal,
)
from quorum.store import create_engine_for, sqlite_file

app = typer.Typer(
    name="journal",
    help="The audit journal: verify the hash chain and its checkpoints, show entries.",
    no_args_is_help=True,
)

DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: database.url from the settings)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of Rich output.")]
_PAYLOAD_WIDTH = 80
_CHAIN_DAMAGE = frozenset(
    {DamageKind.MODIFIED, DamageKind.DELETED, DamageKind.REORDERED, DamageKind.INSERTED}
)


def _fail(message: str, code: int = 2) -> NoReturn:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] [red]{escape(message)}[/]")
    raise typer.Exit(code)


def _engine(db: str | None) -> tuple[Engine, str]:
    try:
        url = db if db is not None else load_settings().database.url
        database = sqlite_file(url)
        if database is not None and not database.is_file():
            _fail(f"no SQLite database at {database}")
        return create_engine_for(url), url
    except QuorumError as exc:
        _fail(str(exc))


def _trusted_keys(public_key: Path | None, public_key_ref: str | None) -> list[bytes] | None:
    keys: list[bytes] = []
    try:
        if public_key is not None:
            keys.append(load_public_key(public_key.read_text(encoding="ascii"), str(public_key)))
        if public_key_ref is not None:
            settings = load_settings()
            secret = build_secrets_provider(settings).get(public_key_ref).get_secret_value()
            keys.append(load_public_key(secret, public_key_ref))
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"--public-key {public_key}: cannot read ({type(exc).__name__})")
    except QuorumError as exc:
        _fail(str(exc))
    return keys or None


def _checkpoint_store(
    engine: Engine,
    url: str,
    checkpoints: str | None,
    no_checkpoints: bool,
    s3_endpoint: str | None,
) -> CheckpointStore | None:
    if no_checkpoints:
        return None
    if checkpoints is None:
        # The default place of this journal's checkpoints; a journal that recorded its
        # first checkpoint is checked even when the directory is gone (checkpoints_missing).
        try:
            meta = read_meta(engine)
        except SQLAlchemyError as exc:
            _fail(f"cannot read the journal in {mask_url(url)}: {type(exc).__name__}")
        if meta.journal_id is None and sqlite_file(url) is None:
            return None
        default = default_checkpoint_dir(url, meta.journal_id)
        recorded = meta.checkpointed is not None
        return DirectoryCheckpointStore(default) if recorded or default.is_dir() else None
    try:
        location = parse_store_location(checkpoints)
        if location.scheme == "dir":
            assert location.path is not None
            if not location.path.is_dir():
                _fail(f"--checkpoints {checkpoints}: not a directory")
            return DirectoryCheckpointStore(location.path)
        settings = load_settings()
        s3 = settings.journal.s3
        if s3_endpoint is not None:
            s3 = s3.model_copy(update={"endpoint_url": s3_endpoint})
        journal = settings.journal.model_copy(
            update={"checkpoint_store": checkpoints, "checkpoint_dir": None, "s3": s3}
        )
        return build_checkpoint_store(journal, build_secrets_provider(settings), url)
    except QuorumError as exc:
        _fail(str(exc))


def _where(store: CheckpointStore) -> str:
    if isinstance(store, ObjectStoreCheckpointStore):
        return store.location
    if isinstance(store, DirectoryCheckpointStore):
        return str(store.path)
    return repr(store)


def _print_report(report: VerifyReport, url: str, store: CheckpointStore | None) -> None:
    console = Console(soft_wrap=True)
    where = escape(mask_url(url))
    if report.ok:
        console.print(
            f"[bold green]journal intact[/]: {report.count} entries, head {report.head_hash}"
        )
    else:
        damage = report.damage.value if report.damage is not None else "damage"
        seq = "-" if report.first_bad_seq is None else str(report.first_bad_seq)
        console.print(f"[bold red]journal damaged[/]: [red]{damage}[/] at seq [bold]{seq}[/]")
        console.print(f"  {escape(report.detail)}")
        if report.checkpoint is not None:
            console.print(f"  checkpoint: {escape(report.checkpoint)}")
        console.print(f"  intact entries before it: {report.count}")
    console.print(f"  database: {where}")
    if not report.ok and report.damage in _CHAIN_DAMAGE:
        console.print("  checkpoints: not reached (the chain itself is damaged)")
        return
    if report.journal_id is not None:
        console.print(f"  journal id: {report.journal_id}")
    if store is None:
        console.print(
            "  [yellow]checkpoints: not checked[/] (no --checkpoints directory): truncation "
            "of the tail and a consistent rewrite cannot be detected"
        )
        return
    latest = "-" if report.latest_checkpoint_size is None else report.latest_checkpoint_size
    console.print(
        f"  checkpoints: {report.checkpoints_checked} in {escape(_where(store))} "
        f"(latest size {latest})"
    )
    if not report.trusted_keys:
        console.print(
            "  [yellow]signatures checked against the key embedded in the checkpoints only"
            "[/]: pass --public-key to detect re-signing"
        )


@app.command("verify")
def verify(
    db: DbOpt = None,
    checkpoints: Annotated[
        str | None,
        typer.Option(
            "--checkpoints",
            help=(
                "Checkpoint store: a directory (PATH or dir:PATH) or s3://bucket/prefix "
                "(credentials from journal.s3 or boto3's chain). Default: "
                "<sqlite file>-checkpoints, else var/journal-checkpoints/<journal id>."
            ),
        ),
    ] = None,
    s3_endpoint: Annotated[
        str | None,
        typer.Option(
            "--s3-endpoint",
            envvar="QUORUM_JOURNAL__S3__ENDPOINT_URL",
            help="S3-compatible endpoint URL for s3:// checkpoints (MinIO, Ceph …).",
        ),
    ] = None,
    no_checkpoints: Annotated[
        bool, typer.Option("--no-checkpoints", help="Walk the chain only.")
    ] = False,
    public_key: Annotated[
        Path | None,
        typer.Option("--public-key", help="Trusted Ed25519 public key (PEM or base64 raw)."),
    ] = None,
    public_key_ref: Annotated[
        str | None,
        typer.Option("--public-key-ref", help="Secret ref of the trusted public key."),
    ] = None,
    allow_missing: Annotated[
        bool,
        typer.Option(
            "--allow-missing-checkpoints",
            help="Accept an empty checkpoint store for a journal that was checkpointed.",
        ),
    ] = False,
    no_explain: Annotated[
        bool,
        typer.Option(
            "--no-explain",
            help="Skip the explanation check (every order preceded by its decision).",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Walk the hash chain and its checkpoints, then check that every order is explained
    by its intent, risk decision, signal and opinions: exit 0 intact, 1 damaged or an
    unexplained order (names where)."""
    keys = _trusted_keys(public_key, public_key_ref)
    engine, url = _engine(db)
    store = _checkpoint_store(engine, url, checkpoints, no_checkpoints, s3_endpoint)
    explained: ExplanationReport | None = None
    try:
        report = verify_journal(
            engine,
            checkpoints=store,
            trusted_public_keys=keys,
            allow_missing_checkpoints=allow_missing,
        )
        if not no_explain and report.damage not in _CHAIN_DAMAGE:
            explained = explain_orders(engine)
    except SQLAlchemyError as exc:
        _fail(f"cannot read the journal in {mask_url(url)}: {type(exc).__name__}: {exc.args[0]}")
    except QuorumError as exc:
        _fail(str(exc))
    finally:
        engine.dispose()
    if as_json:
        out = report.model_dump(mode="json")
        out["database"] = mask_url(url)
        out["checkpoint_dir"] = (
            str(store.path) if isinstance(store, DirectoryCheckpointStore) else None
        )
        out["checkpoint_store"] = None if store is None else _where(store)
        out["explanation"] = None if explained is None else explained.model_dump(mode="json")
        typer.echo(json.dumps(out, indent=2))
    else:
        _print_report(report, url, store)
        _print_explanation(explained)
    raise typer.Exit(0 if report.ok and (explained is None or explained.ok) else 1)


def _print_explanation(explained: ExplanationReport | None) -> None:
    console = Console(soft_wrap=True)
    if explained is None:
        console.print("  [yellow]orders: explanation not checked[/]")
    elif explained.ok:
        console.print(f"  orders: {explained.orders_checked} placed, every one explained")
    else:
        u = explained.first_unexplained
        assert u is not None
        console.print(
            f"[bold red]unexplained order[/] [bold]{escape(u.client_order_id)}[/] at seq "
            f"[bold]{u.seq}[/] (run {escape(str(u.run_id))}): missing [red]{u.missing}[/]"
        )
        console.print(f"  {escape(u.detail)}")


def _since(text: str | None) -> tuple[int | None, datetime | None]:
    if text is None:
        return None, None
    if text.strip().isdigit():
        return int(text), None
    return None, parse_time(text, "--since")


def _show_table(entries: list[JournalEntry]) -> None:
    table = Table(title=f"journal ({len(entries)} entries)")
    for column in ("seq", "time", "kind", "actor", "run", "payload"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        payload = json.dumps(entry.payload, sort_keys=True, ensure_ascii=False)
        if len(payload) > _PAYLOAD_WIDTH:
            payload = payload[: _PAYLOAD_WIDTH - 1] + "…"
        table.add_row(
            str(entry.seq),
            format_time(entry.time),
            entry.kind.value,
            escape(entry.actor),
            escape(entry.run_id or ""),
            escape(payload),
        )
    Console().print(table)


@app.command("show")
def show(
    db: DbOpt = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="First seq (a number) or time (ISO-8601 with offset)."),
    ] = None,
    kind: Annotated[
        list[JournalKind] | None,
        typer.Option("--kind", help="Only these kinds (repeat the option for several)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Show entries in seq order (unverified: run `quorum journal verify` to prove them)."""
    since_seq, since_time = _since(since)
    engine, url = _engine(db)
    try:
        entries = Journal(engine, SystemClock()).read(
            since_seq=since_seq,
            since_time=since_time,
            kinds=kind,
            limit=limit,
        )
    except SQLAlchemyError as exc:
        _fail(f"cannot read the journal in {mask_url(url)}: {type(exc).__name__}: {exc.args[0]}")
    except QuorumError as exc:
        _fail(str(exc), code=1)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps([entry.model_dump(mode="json") for entry in entries], indent=2))
        return
    _show_table(entries)
