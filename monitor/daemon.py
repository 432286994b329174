"""The background service: APScheduler runs a few periodic jobs over our own schedule table.

Per-account timing lives in the ``account`` table (next_poll_at, failure_count), not in
APScheduler's job store, so the number of jobs does not grow with the number of accounts.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import FrameType
from typing import IO

from apscheduler.schedulers.background import BackgroundScheduler

from monitor import digest, outbox, polling, retention
from monitor.app import App
from monitor.clock import utcnow
from monitor.db import session_scope
from monitor.errors import Conflict

log = logging.getLogger(__name__)


class InstanceLock:
    """One daemon per data directory: a second one refuses to start."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "daemon.lock"
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        fh = self.path.open("a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            fh.close()
            raise Conflict(
                f"another social-monitor daemon is already running on {self.path.parent} "
                "(one process per database; stop it first)"
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


def poll_tick(app: App, pool: ThreadPoolExecutor, stopping: threading.Event) -> dict[str, int]:
    """Pick the due accounts and poll them in the worker pool."""
    now = utcnow()
    with session_scope(app.engine) as session:
        ids = polling.due_accounts(session, now, app.config.settings.polling.batch_size)
    futures = [
        pool.submit(polling.poll_account, app.engine, app.config, app.pipeline,
                    app.connector_for, i, now)
        for i in ids
        if not stopping.is_set()
    ]
    return polling.summarize([f.result() for f in futures])


def run(app: App, tick_seconds: int = 30, stop: threading.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or ``stop`` is set); finish in-flight work, then return."""
    stopping = stop or threading.Event()
    lock = InstanceLock(Path(app.config.settings.storage.data_dir))
    lock.acquire()
    pool = ThreadPoolExecutor(max_workers=app.config.settings.polling.workers)
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 60,
    })
    scheduler.add_job(poll_tick, "interval", seconds=tick_seconds, id="poll-tick",
                      args=(app, pool, stopping), next_run_time=utcnow())
    scheduler.add_job(outbox.deliver_due, "interval", seconds=tick_seconds, id="deliver",
                      args=(app.engine, app.config, app.transport(), app.composers),
                      next_run_time=utcnow())
    scheduler.add_job(lambda: digest.enqueue_due_digests(app.engine, app.config, utcnow()),
                      "cron", minute=1, id="digest")
    scheduler.add_job(lambda: retention.purge(app.engine, app.config, utcnow()),
                      "cron", hour=3, minute=17, id="retention")

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", extra={"signal": signum})
        stopping.set()

    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.start()
        while not stopping.wait(0.5):
            pass
    finally:
        scheduler.shutdown(wait=True)
        pool.shutdown(wait=True, cancel_futures=True)
        for s, handler in previous.items():
            signal.signal(s, handler)
        lock.release()
