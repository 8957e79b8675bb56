"""A fork server of appenders to SIGKILL (run as a script by the chaos test).

``python journal_chaos_worker.py URL SCHEMA CHECKPOINT_DIR SEED_HEX`` imports once and
prints ``ready``. On each ``fork`` line from stdin it forks a child that opens its own
engine and loops forever: BEGIN; UPDATE chaos_counter SET n = n + 1; append a
``reconciliation`` entry carrying the new n; COMMIT (checkpoints every 25 entries,
signed with the Ed25519 key derived from SEED_HEX). The server prints ``pid <pid>``,
the child prints ``go <pid>`` after its first commit (so every kill lands
among commits, not during start-up). ``reap <pid>`` waits for the
child and prints ``reaped <pid> <signal or -exit code>``. SCHEMA is ``-`` for none.
"""

from __future__ import annotations

import os
import sys
import traceback

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from quorum.clock import SystemClock
from quorum.domain import JournalKind
from quorum.journal import DirectoryCheckpointStore, Ed25519Signer, Journal
from quorum.store import create_engine_for, session_scope


def say(line: str) -> None:
    os.write(1, (line + "\n").encode())


def loop(url: str, schema: str | None, checkpoints: str, seed: bytes) -> None:
    engine = create_engine_for(url, schema=schema)
    journal = Journal(
        engine,
        SystemClock(),
        signer=Ed25519Signer(Ed25519PrivateKey.from_private_bytes(seed)),
        checkpoint_store=DirectoryCheckpointStore(checkpoints),
        checkpoint_every_n=25,
    )
    first = True
    while True:
        with session_scope(engine) as session:
            session.execute(text("UPDATE chaos_counter SET n = n + 1 WHERE id = 1"))
            n = session.execute(text("SELECT n FROM chaos_counter WHERE id = 1")).scalar_one()
            journal.append(session, JournalKind.RECONCILIATION, {"n": n}, actor="chaos")
        if first:
            say(f"go {os.getpid()}")
            first = False


def main() -> None:
    url, schema, checkpoints, seed = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    # Load the dialect and driver modules once, here, so a forked child starts at once.
    # No connection is opened before a fork: a child must never share a socket.
    create_engine_for(url, schema=None if schema == "-" else schema).dispose()
    say("ready")
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "fork":
            pid = os.fork()
            if pid == 0:
                try:
                    loop(url, None if schema == "-" else schema, checkpoints, bytes.fromhex(seed))
                except BaseException:
                    traceback.print_exc()
                finally:
                    os._exit(1)
            say(f"pid {pid}")
        elif command == "reap":
            _, status = os.waitpid(int(argument), 0)
            code = os.WTERMSIG(status) if os.WIFSIGNALED(status) else -os.WEXITSTATUS(status)
            say(f"reaped {argument} {code}")
        elif command == "quit":
            return


if __name__ == "__main__":
    main()
