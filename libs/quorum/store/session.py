"""Sessions: a factory bound to an engine and a commit-or-rollback scope."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

SessionFactory = Callable[[], Session]
"""Anything that returns a new :class:`sqlmodel.Session` (e.g. a ``sessionmaker``)."""


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A ``sessionmaker`` of SQLModel sessions; objects stay usable after commit."""
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False)


@contextmanager
def session_scope(source: Engine | SessionFactory) -> Iterator[Session]:
    """One unit of work: commit when the block ends normally, roll back when it raises.

    ``source`` is an engine or a session factory. The session is closed either way.
    """
    session = Session(source, expire_on_commit=False) if isinstance(source, Engine) else source()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
