"""The `quorum` command line (Typer + Rich). Thin: parse input, call libs, format output."""

from __future__ import annotations

import typer

from apps.cli.commands import (
    analyze,
    api,
    backtest,
    bench,
    data,
    db,
    execution,
    flags,
    journal,
    killswitch,
    llm,
    run,
    scan,
    status,
    worker,
)

app = typer.Typer(
    name="quorum",
    help="Quorum: multi-agent, LLM-assisted market analysis and trading orchestrator.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
app.command("run")(run.run)
app.command("scan")(scan.scan)
app.command("analyze")(analyze.analyze)
app.command("backtest")(backtest.backtest)
app.command("status")(status.status)
app.command("kill-switch")(killswitch.kill_switch)
app.command("worker")(worker.worker)
app.command("beat")(worker.beat)
app.add_typer(api.app, name="api")
app.add_typer(data.app, name="data")
app.add_typer(db.app, name="db")
app.add_typer(execution.app, name="execution")
app.add_typer(flags.app, name="flags")
app.add_typer(journal.app, name="journal")
app.add_typer(llm.app, name="llm")
app.add_typer(bench.app, name="bench")


@app.command()
def version() -> None:
    """Print the installed version."""
    from importlib.metadata import version as dist_version

    typer.echo(dist_version("quorum"))


def main() -> None:
    app()
