"""``python -m quorum.store upgrade|current|revision``: migrations from the command line."""

from __future__ import annotations

import argparse

from quorum.store.engine import DEFAULT_DATABASE_URL
from quorum.store.schema import current_revision, head_revision, make_revision, migrate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quorum.store")
    parser.add_argument("--db", default=DEFAULT_DATABASE_URL, help="database URL")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("upgrade", help="migrate the database to the newest revision")
    commands.add_parser("current", help="print the database's revision and the newest one")
    revision = commands.add_parser("revision", help="write the next numbered migration")
    revision.add_argument("message")
    revision.add_argument("--empty", action="store_true", help="do not autogenerate")
    args = parser.parse_args(argv)
    if args.command == "upgrade":
        migrate(args.db)
        print(f"database at {current_revision(args.db)}")
    elif args.command == "current":
        print(f"database: {current_revision(args.db)}  newest: {head_revision()}")
    else:
        path = make_revision(args.message, args.db, autogenerate=not args.empty)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
