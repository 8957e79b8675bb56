"""Concurrent appenders for the concurrency test (run as a script, not collected).

``python journal_append_worker.py URL SCHEMA WORKERS COUNT`` imports once, then forks
WORKERS processes that each open their own engine, wait at a common start line and
append COUNT entries, one transaction each. SCHEMA is ``-`` for none. Exit status 0
only if every worker succeeded.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import traceback

from quorum.clock import SystemClock
from quorum.domain import JournalKind
from quorum.journal import Journal
from quorum.store import create_engine_for, session_scope


def append(url: str, schema: str | None, worker: int, count: int, start: object) -> None:
    engine = create_engine_for(url, schema=schema, sqlite_synchronous="NORMAL")
    journal = Journal(engine, SystemClock())
    start.wait()  # type: ignore[attr-defined]
    for i in range(count):
        with session_scope(engine) as session:
            journal.append(
                session, JournalKind.FILL, {"worker": worker, "i": i}, actor=f"w{worker}"
            )
    engine.dispose()


def main() -> int:
    url, schema, workers, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    context = multiprocessing.get_context("fork")
    start = context.Barrier(workers)
    children = []
    for worker in range(workers):
        pid = os.fork()
        if pid == 0:
            try:
                append(url, None if schema == "-" else schema, worker, count, start)
            except BaseException:
                traceback.print_exc()
                os._exit(1)
            os._exit(0)
        children.append(pid)
    failed = 0
    for pid in children:
        _, status = os.waitpid(pid, 0)
        failed += os.waitstatus_to_exitcode(status) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
