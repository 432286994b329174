"""One daemon per database: a file lock beside a SQLite database (or in the data folder),
and a PostgreSQL advisory lock verified before each poll tick and delivery and re-taken after
a server restart; a second daemon exits with Conflict.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import IO

import sqlalchemy as sa

from monitor.errors import Conflict

log = logging.getLogger("monitor.daemon")


class InstanceLock:
    """One daemon per database file (or data folder): a second one refuses to start.

    The lock file is :func:`monitor.service.status.lock_path`: beside the SQLite file, so two config
    folders with different data folders but one database still exclude each other.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock; raises :class:`Conflict` naming the folder if another holds it."""
        fh = self.path.open("a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            fh.seek(0)
            pid = fh.read().strip()
            fh.close()
            raise Conflict(
                f"another social-monitor daemon (pid {pid or '?'}) is already running on "
                f"{self.path.parent} (one process per database; stop it first)"
            ) from exc
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


class DatabaseLock:
    """On PostgreSQL, one embedded daemon per database even across machines: a session
    advisory lock held on a dedicated connection for the daemon's lifetime."""

    KEY = 0x534D4441  # "SMDA"

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine
        self._conn: sa.engine.Connection | None = None
        # The poll tick and the delivery job verify at the same time: one at a time, or
        # the second would find the lock held by the first's new connection.
        self._mutex = threading.Lock()

    def acquire(self) -> None:
        """Raises :class:`Conflict` if another embedded daemon holds the lock."""
        if self.engine.dialect.name != "postgresql":
            return  # SQLite: the file lock in the data folder is the lock
        conn = self.engine.connect()
        got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": self.KEY}).scalar()
        conn.commit()
        if not got:
            conn.close()
            raise Conflict("another social-monitor daemon is already running on this database "
                           "(one embedded daemon per database; for more, use workers)")
        self._conn = conn

    def verify(self) -> bool:
        """Before each cycle: do we still hold the lock? A PostgreSQL restart ends the session
        that held it, and another daemon may have taken it since. Re-takes it on a new
        connection when it was lost; False only when another holder has it (then this
        daemon must stop). An unreachable server is not a verdict: the cycle fails on its
        own and the next one checks again."""
        if self.engine.dialect.name != "postgresql":
            return True
        with self._mutex:
            return self._verify()

    def _verify(self) -> bool:
        if self._conn is not None:
            try:
                held = self._conn.execute(sa.text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :k "
                    "AND pid = pg_backend_pid() AND granted"), {"k": self.KEY}).scalar()
                self._conn.commit()
                if held:
                    return True
            except sa.exc.DBAPIError:
                pass
            with contextlib.suppress(sa.exc.DBAPIError):
                self._conn.invalidate()
                self._conn.close()
            self._conn = None
            log.warning("database lock lost (did PostgreSQL restart?); taking it again",
                        extra={"event": "database_lock_lost"})
        try:
            self.acquire()
        except Conflict:
            return False
        except sa.exc.DBAPIError:
            return True
        log.info("database lock taken again", extra={"event": "database_lock_retaken"})
        return True

    def release(self) -> None:
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        try:
            # Unlock explicitly: close() only hands the connection back to the pool.
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": self.KEY})
            conn.commit()
        except sa.exc.DBAPIError:
            # The server restarted since: the lock went with the old session already.
            log.warning("database lock connection was lost; nothing to unlock")
            conn.invalidate()
        finally:
            conn.close()
