"""Python's cyclic garbage collector around a long command's start-up (#22 item 5).

Start-up (imports of LangGraph, litellm, pandas …, settings, the wiring) creates ~0.5 M
objects that live as long as the process. With the collector on, every 25 % of growth
triggers a full pass over all of them: seven passes, 1.5–3 s of CPU, before the first bar
of a `quorum run`. So a command runs :func:`paused` and calls :func:`settle` once it is
wired: everything built so far is frozen (later full passes skip it) and the collector runs
again. When the command ends it is thawed, so a caller running it in-process (a test)
collects what it left; `quorum`'s ``main`` freezes again just before the interpreter's
teardown, whose passes would otherwise walk every object left (2–4 s after a run).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """A command: no collection from here until :func:`settle`; when the command is over (or
    failed), everything collectable again and the collector on."""
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.enable()


def settle() -> None:
    """Start-up is over: freeze what it built, collect again from here."""
    gc.freeze()
    gc.enable()
