"""``quorum api``: serve the HTTP API (uvicorn), or mint a bearer token for it.

``quorum api`` (or ``quorum api serve``) binds to ``api.host``/``api.port`` from the
settings (127.0.0.1:8000 by default). ``quorum api token --role operator --ttl 1h
--subject alice`` prints a JWT signed with the key from ``api.token_secret_ref`` (or the
local key file, created once with mode 0600). Exit codes: 0 done, 2 could not run.
"""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from quorum.errors import QuorumError

app = typer.Typer(
    name="api",
    help="The HTTP API: serve it (default), or mint a bearer token.",
    invoke_without_command=True,
)


def _fail(message: str, code: int = 2) -> NoReturn:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] [red]{escape(message)}[/]")
    raise typer.Exit(code)


HostOpt = Annotated[
    str | None, typer.Option("--host", help="Bind address (default: api.host, 127.0.0.1).")
]
PortOpt = Annotated[int | None, typer.Option("--port", help="Port (default: api.port, 8000).")]


@app.callback()
def main(ctx: typer.Context, host: HostOpt = None, port: PortOpt = None) -> None:
    """Serve the API when no sub-command is given."""
    if ctx.invoked_subcommand is None:
        serve(host=host, port=port)


@app.command("serve")
def serve(host: HostOpt = None, port: PortOpt = None) -> None:
    """Run the API under uvicorn with the settings' host and port."""
    import uvicorn

    from apps.api.app import create_app
    from quorum.config import load_settings

    try:
        settings = load_settings()
    except QuorumError as exc:
        _fail(str(exc))
    from quorum.telemetry import configure_logging

    configure_logging(settings.logging.level, settings.logging.json_lines)
    uvicorn.run(
        create_app(settings=settings),
        host=host or settings.api.host,
        port=port or settings.api.port,
        proxy_headers=False,
        log_config=None,  # uvicorn's loggers propagate to ours (trace/span ids, JSON)
    )


@app.command("token")
def token(
    role: Annotated[str, typer.Option("--role", help="viewer, operator or admin.")],
    subject: Annotated[str, typer.Option("--subject", help="Who holds it (journaled).")],
    ttl: Annotated[str, typer.Option("--ttl", help="Lifetime: 90s, 15m, 1h, 7d.")] = "1h",
) -> None:
    """Mint a bearer token (JWT) with a role and an expiry; prints only the token."""
    from apps.api.auth import Role, build_token_authority, parse_ttl
    from quorum.clock import SystemClock
    from quorum.config import build_secrets_provider, load_settings

    try:
        settings = load_settings()
        clock = SystemClock()
        authority = build_token_authority(
            settings.api, build_secrets_provider(settings, clock=clock), clock
        )
        minted = authority.mint(subject, Role.parse(role), parse_ttl(ttl))
    except QuorumError as exc:
        _fail(str(exc))
    typer.echo(minted)
