"""Database engine and sessions: SQLite (WAL, foreign keys on) by default, PostgreSQL by URL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.errors import BadInput, StorageUnavailable, redact_error


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``. SQLite files get their folder created and their pragmas set."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        # Not the URL itself: it may carry a password.
        raise BadInput("storage.database_url: not a database URL (expected sqlite:///PATH "
                       "or postgresql+psycopg://user@host/db)") from exc
    try:
        return _engine(url, parsed)
    except (sa.exc.NoSuchModuleError, ModuleNotFoundError) as exc:
        shown = parsed.render_as_string(hide_password=True)
        raise BadInput(f"storage.database_url: {shown} is not a database social-monitor can "
                       "open (expected sqlite:///PATH or postgresql+psycopg://user@host/db)"
                       ) from exc


def _engine(url: str, parsed: sa.engine.URL) -> Engine:
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                                  hide_parameters=True)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # hide_parameters: an error's message never quotes the bound values (post text).
    return sa.create_engine(url, pool_pre_ping=True, hide_parameters=True)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error.

    The storage boundary: a lost or refused connection (SQLAlchemy's OperationalError)
    leaves as :class:`StorageUnavailable`, whose message quotes no value it was given.
    """
    with reachable(), Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                session.rollback()
            raise


@contextmanager
def reachable() -> Iterator[None]:
    """The storage boundary for connections: SQLAlchemy's OperationalError (refused, lost,
    locked too long) leaves as :class:`StorageUnavailable`, quoting no value it was given."""
    try:
        yield
    except sa.exc.OperationalError as exc:
        raise StorageUnavailable(f"database unavailable: {redact_error(exc)}") from exc
