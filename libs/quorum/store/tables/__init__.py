"""Every table of the store.

Each module in this package is imported here, so a new table module is seen by
``quorum.store.metadata`` and Alembic (autogenerate, the metadata test) without further
registration. Table modules import only SQLAlchemy / SQLModel, never the packages that use
them (that would be an import cycle).
"""

import importlib
import pkgutil

from quorum.store.tables.journal import (
    JOURNAL_META_TABLE_NAME,
    JOURNAL_TABLE_NAME,
    JournalMetaRecord,
    JournalRecord,
    journal_table,
)

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "JOURNAL_META_TABLE_NAME",
    "JOURNAL_TABLE_NAME",
    "JournalMetaRecord",
    "JournalRecord",
    "journal_table",
]
