"""The store: engines, sessions, the shared table metadata and Alembic migrations.

``create_engine_for(url)`` builds an engine (SQLite WAL with the write lock taken at
BEGIN, or PostgreSQL via psycopg 3), ``session_scope`` runs one unit of work,
``migrate(url)`` brings a database to the newest schema and ``backup_database`` /
``restore_database`` copy one to a file and back (SQLite's backup API, pg_dump and
pg_restore). Tables live in :mod:`quorum.store.tables`; how to add one is in
``libs/quorum/store/README.md``.
"""

from quorum.store.backup import (
    BackupError,
    BackupManifest,
    RestoreRefused,
    backup_database,
    database_tables,
    manifest_path,
    read_manifest,
    restore_database,
)
from quorum.store.base import NAMING_CONVENTION, metadata
from quorum.store.engine import (
    BEGIN_MODE_INFO_KEY,
    DEFAULT_DATABASE_URL,
    SQLITE_BEGIN_OPTION,
    SqliteBegin,
    SqliteSynchronous,
    create_engine_for,
    normalize_url,
    sqlite_file,
)
from quorum.store.schema import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    make_revision,
    migrate,
)
from quorum.store.session import SessionFactory, session_factory, session_scope
from quorum.store.tables import (
    JOURNAL_META_TABLE_NAME,
    JOURNAL_TABLE_NAME,
    JournalMetaRecord,
    JournalRecord,
    journal_table,
)
from quorum.store.upsert import (
    advance_statement,
    insert_ignore,
    insert_ignore_statement,
    insert_or_advance,
)

__all__ = [
    "BEGIN_MODE_INFO_KEY",
    "DEFAULT_DATABASE_URL",
    "JOURNAL_META_TABLE_NAME",
    "JOURNAL_TABLE_NAME",
    "MIGRATIONS_DIR",
    "NAMING_CONVENTION",
    "SQLITE_BEGIN_OPTION",
    "BackupError",
    "BackupManifest",
    "JournalMetaRecord",
    "JournalRecord",
    "RestoreRefused",
    "SessionFactory",
    "SqliteBegin",
    "SqliteSynchronous",
    "advance_statement",
    "alembic_config",
    "backup_database",
    "create_engine_for",
    "current_revision",
    "database_tables",
    "downgrade",
    "head_revision",
    "insert_ignore",
    "insert_ignore_statement",
    "insert_or_advance",
    "journal_table",
    "make_revision",
    "manifest_path",
    "metadata",
    "migrate",
    "normalize_url",
    "read_manifest",
    "restore_database",
    "session_factory",
    "session_scope",
    "sqlite_file",
]
