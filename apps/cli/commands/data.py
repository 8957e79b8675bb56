"""`quorum data …`: validate bar files and import them into the local store.

Thin: parse options, call ``quorum.market``, print with Rich. Exit codes: 0 the
file passed, 1 it was refused (the reason is printed; nothing is written),
2 the command line itself was wrong.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from quorum.clock import SystemClock
from quorum.domain import BarFrame, Timeframe
from quorum.errors import DataQualityError, ValidationFailed
from quorum.market import (
    ParquetBarStore,
    QualityPolicy,
    QualityRejected,
    QualityReport,
    TimestampConvention,
    check_bars,
    conform_bars,
    infer_timeframe,
    read_bar_file,
)

app = typer.Typer(
    name="data",
    help="Market data: validate bar files and import them into the local store.",
    no_args_is_help=True,
)

DEFAULT_SYMBOL = "UNKNOWN/UNKNOWN"
DEFAULT_STORE = Path("data/store")
_SHOWN_REPAIRS = 20


class StampChoice(StrEnum):
    OPEN = "open"
    CLOSE = "close"


class PolicyChoice(StrEnum):
    REJECT = "reject"
    REPAIR = "repair"


FileArg = Annotated[Path, typer.Argument(help="CSV or Parquet file of bars.", dir_okay=False)]
TimeframeOpt = Annotated[
    str | None,
    typer.Option(
        "--timeframe", "-t", help="Bar timeframe (1m 5m 15m 1h 4h 1d); inferred if omitted."
    ),
]
PolicyOpt = Annotated[
    PolicyChoice,
    typer.Option(
        "--policy", help="reject: any problem fails; repair: fix and flag repairable ones."
    ),
]
AssumeUtcOpt = Annotated[
    bool, typer.Option("--assume-utc", help="Read timestamps without a timezone as UTC.")
]
TimestampsOpt = Annotated[
    StampChoice,
    typer.Option(
        "--timestamps",
        help="What each timestamp marks: the bar's open (default) or its close; bar-close "
        "files are stored by bar open time. Off-grid and Saturday-but-no-Monday daily stamps "
        "are detected as closes.",
    ),
]
RejectStaleOpt = Annotated[
    bool,
    typer.Option(
        "--reject-stale", help="Fail when the last bar is older than the stale limit (vs now)."
    ),
]


def _policy(choice: PolicyChoice, reject_stale: bool) -> QualityPolicy:
    # A file is usually history: staleness against the wall clock is reported, not fatal.
    stale = "reject" if reject_stale else "report"
    if choice is PolicyChoice.REPAIR:
        return QualityPolicy.repair_all(stale=stale)
    return QualityPolicy(stale=stale)


def _fail(console: Console, message: str, code: int = 1) -> typer.Exit:
    console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _check_file(
    file: Path,
    symbol: str,
    timeframe: str | None,
    policy: QualityPolicy,
    assume_utc: bool,
    timestamps: StampChoice = StampChoice.OPEN,
) -> tuple[BarFrame, QualityReport]:
    """Read and check ``file``; raises DataQualityError / ValidationFailed / typer.BadParameter."""
    tf = Timeframe.parse(timeframe) if timeframe else None
    chosen = symbol if symbol != DEFAULT_SYMBOL else None
    convention: TimestampConvention = "close" if timestamps is StampChoice.CLOSE else "open"
    raw = read_bar_file(file, chosen, tf, assume_utc=assume_utc, timestamps=convention)
    if tf is None:
        tf = infer_timeframe(raw)
        if tf is None:
            raise typer.BadParameter(
                "cannot infer the timeframe from the timestamps; pass --timeframe",
                param_hint="--timeframe",
            )
        raw = conform_bars(raw, tf, convention)
    return check_bars(raw, symbol, tf, SystemClock().now(), policy)


def _show(console: Console, report: QualityReport, file: Path) -> None:
    verdict = "[green]passed[/green]" if report.passed else "[red]REJECTED[/red]"
    title = escape(f"Quality report: {file} ({report.symbol} {report.timeframe})")
    summary = Table(title=f"{title} {verdict}")
    summary.add_column("measure")
    summary.add_column("value", overflow="fold")
    span = "-" if report.first_ts is None else f"{report.first_ts} .. {report.last_ts}"
    rows = [
        ("rows read", str(report.rows_in)),
        ("bars kept", str(report.rows_out)),
        ("span", span),
        ("gaps", f"{len(report.gaps)} ({report.missing_bars} missing bars)"),
        ("zero-volume bars", str(report.zero_volume)),
        ("unclosed bars dropped", str(report.unclosed_dropped)),
        ("stale", "yes" if report.stale else "no"),
        ("repaired rows", str(len(report.repaired))),
    ]
    for name, value in rows:
        summary.add_row(name, value)
    console.print(summary)
    if report.problems:
        problems = Table(title="Problems")
        for column in ("rule", "action", "rows", "first row", "detail"):
            problems.add_column(column, overflow="fold")
        for p in report.problems:
            where = "-" if p.first_ts is None else p.first_ts.isoformat()
            if p.first_row is not None:
                where += f" ({report.row_kind} {p.first_row})"
            style = "red" if p.action == "rejected" else "yellow"
            action = f"[{style}]{p.action}[/{style}]"
            problems.add_row(p.rule, action, str(p.count), escape(where), escape(p.detail))
        console.print(problems)
    if report.repaired:
        shown = min(_SHOWN_REPAIRS, len(report.repaired))
        fixes = Table(title=f"Repaired rows ({shown} of {len(report.repaired)} shown)")
        for column in ("rule", "timestamp", report.row_kind, "action"):
            fixes.add_column(column)
        for r in report.repaired[:_SHOWN_REPAIRS]:
            ts = "-" if r.ts is None else r.ts.isoformat()
            row = "-" if r.source_row is None else str(r.source_row)
            fixes.add_row(r.rule, ts, row, escape(r.action))
        console.print(fixes)


def _print_json(report: QualityReport | None, error: str | None, **extra: object) -> None:
    payload: dict[str, object] = {
        "ok": error is None,
        "error": error,
        "report": None if report is None else report.model_dump(mode="json"),
        **extra,
    }
    typer.echo(json.dumps(payload, indent=2))


@app.command("validate")
def validate(
    file: FileArg,
    symbol: Annotated[
        str, typer.Option("--symbol", "-s", help="Symbol named in messages, e.g. BTC/USDT.")
    ] = DEFAULT_SYMBOL,
    timeframe: TimeframeOpt = None,
    policy: PolicyOpt = PolicyChoice.REJECT,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    assume_utc: AssumeUtcOpt = False,
    reject_stale: RejectStaleOpt = False,
    timestamps: TimestampsOpt = StampChoice.OPEN,
) -> None:
    """Run the quality gates on FILE, print the report, exit 1 if it is refused."""
    console, errors = Console(), Console(stderr=True)
    try:
        _, report = _check_file(
            file, symbol, timeframe, _policy(policy, reject_stale), assume_utc, timestamps
        )
    except QualityRejected as exc:
        if as_json:
            _print_json(exc.report, str(exc))
        else:
            _show(console, exc.report, file)
        raise _fail(errors, str(exc)) from None
    except ValidationFailed as exc:
        raise _fail(errors, str(exc), code=2) from None
    except DataQualityError as exc:
        if as_json:
            _print_json(None, str(exc))
        raise _fail(errors, str(exc)) from None
    if as_json:
        _print_json(report, None)
    else:
        _show(console, report, file)


@app.command("import")
def import_file(
    file: FileArg,
    symbol: Annotated[str, typer.Option("--symbol", "-s", help="Symbol, e.g. BTC/USDT.")],
    timeframe: Annotated[
        str, typer.Option("--timeframe", "-t", help="Bar timeframe (1m 5m 15m 1h 4h 1d).")
    ],
    store: Annotated[
        Path, typer.Option("--store", help="Local store directory.", file_okay=False)
    ] = DEFAULT_STORE,
    policy: PolicyOpt = PolicyChoice.REJECT,
    assume_utc: AssumeUtcOpt = False,
    timestamps: TimestampsOpt = StampChoice.OPEN,
) -> None:
    """Validate FILE and merge it into the local Parquet store; nothing is written on failure."""
    console, errors = Console(), Console(stderr=True)
    try:
        frame, report = _check_file(
            file, symbol, timeframe, _policy(policy, False), assume_utc, timestamps
        )
        if not len(frame.df):
            raise DataQualityError(
                f"{file}: no bars left after the quality gates ({report.rows_in} rows read); "
                "expected at least one valid closed bar"
            )
        target = ParquetBarStore(store)
        written = target.write(symbol, frame.timeframe, frame)
    except QualityRejected as exc:
        _show(console, exc.report, file)
        raise _fail(errors, f"{exc}; nothing was written") from None
    except ValidationFailed as exc:
        raise _fail(errors, str(exc), code=2) from None
    except DataQualityError as exc:
        raise _fail(errors, f"{exc}; nothing was written") from None
    path = target.path_for(symbol, frame.timeframe)
    console.print(
        f"imported {written} bars of {symbol} {frame.timeframe} into {path} "
        f"({len(report.repaired)} repaired rows, {report.missing_bars} missing bars)",
        markup=False,
        soft_wrap=True,
    )
