"""Alembic, configured in code: no ``alembic.ini`` to find, point it at a URL or engine.

``migrate(url)`` upgrades a database to the newest revision inside one transaction
(on PostgreSQL under an advisory lock, on SQLite under the write lock, so concurrent
starters do not race). ``make_revision`` writes a new numbered migration file.
See ``libs/quorum/store/README.md`` for how to add a table.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from quorum.store.engine import DEFAULT_DATABASE_URL, create_engine_for, normalize_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
"""``env.py``, ``script.py.mako`` and ``versions/``."""


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic ``Config`` for Quorum's migrations; ``url`` is used when no connection
    is handed over in ``config.attributes["connection"]``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        rendered = normalize_url(url).render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def _engine(target: str | URL | Engine) -> tuple[Engine, bool]:
    if isinstance(target, Engine):
        return target, False
    return create_engine_for(target), True


def migrate(target: str | URL | Engine = DEFAULT_DATABASE_URL, revision: str = "head") -> None:
    """Upgrade the database at ``target`` (a URL or an engine) to ``revision``."""
    engine, owned = _engine(target)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        if owned:
            engine.dispose()


def downgrade(target: str | URL | Engine, revision: str) -> None:
    """Downgrade the database at ``target`` to ``revision`` (``base`` drops everything)."""
    engine, owned = _engine(target)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        if owned:
            engine.dispose()


def current_revision(target: str | URL | Engine = DEFAULT_DATABASE_URL) -> str | None:
    """The revision the database is at (``None``: never migrated)."""
    engine, owned = _engine(target)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if owned:
            engine.dispose()


def head_revision() -> str:
    """The newest revision in ``versions/``."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR / 'versions'}")
    return head


def make_revision(
    message: str, target: str | URL | Engine | None = None, *, autogenerate: bool = True
) -> Path:
    """Write ``versions/NNNN_<slug>.py`` for ``message``; return its path.

    With ``autogenerate`` the file is filled from the difference between the tables in
    :mod:`quorum.store.tables` and the database at ``target`` (which must be at head).
    Review the generated operations before committing them.
    """
    script = ScriptDirectory.from_config(alembic_config())
    rev_id = f"{len(list(script.walk_revisions())) + 1:04d}"
    if not autogenerate:
        result = command.revision(alembic_config(), message=message, rev_id=rev_id)
    else:
        engine, owned = _engine(target if target is not None else DEFAULT_DATABASE_URL)
        try:
            with engine.begin() as connection:
                config = alembic_config()
                config.attributes["connection"] = connection
                result = command.revision(config, message=message, rev_id=rev_id, autogenerate=True)
        finally:
            if owned:
                engine.dispose()
    scripts = result if isinstance(result, list) else [result]
    if not scripts or scripts[0] is None:
        raise RuntimeError(f"alembic did not write a revision for {message!r}")
    return Path(scripts[0].path)
