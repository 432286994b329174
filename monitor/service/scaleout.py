"""Scale-out on PostgreSQL with procrastinate: the same poll function as procrastinate tasks.

Selected by ``daemon.mode = "procrastinate"`` and a PostgreSQL ``storage.database_url``;
the embedded daemon stays the default. Any number of ``social-monitor worker`` processes
on any number of machines share the work:

- ``dispatch`` (queue ``dispatch``, periodic every ``daemon.tick_seconds``; procrastinate
  defers each period once however many workers run) picks due accounts with the same fair
  per-network pick as the embedded daemon and defers one ``poll`` per account with the
  *queueing lock* ``poll:<id>`` (no pile-up: at most one waiting job per account). It also
  puts jobs of dead workers (no heartbeat) back in the queue, so a killed worker loses
  nothing.
- ``poll`` (queue ``poll``) runs with the *lock* ``account:<id>`` (one poll per account at a
  time) and calls :meth:`monitor.polling.poller.Poller.poll_account` with ``only_if_due``,
  so a job that arrives after another worker already polled the account does nothing.
  Store, classify and alert-queueing stay in that one transaction: that is what makes a
  restart or a retry safe, so classification is not split into a job of its own.
- ``deliver`` (queue ``notify``, lock ``deliver``) sends due alerts; polls that queued
  alerts defer it, and it is also periodic (retries). ``recheck``, ``digest`` and
  ``retention`` run on queue ``maintenance``.

procrastinate's tables live in their own PostgreSQL schema (``daemon.procrastinate_schema``)
next to ours, created on a worker's first start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

import procrastinate
import sqlalchemy as sa
from procrastinate.exceptions import AlreadyEnqueued, UniqueViolation
from procrastinate.jobs import Job, Status
from procrastinate.schema import SchemaManager

from monitor.alerts import digest
from monitor.app import App
from monitor.clock import utcnow
from monitor.errors import MonitorError
from monitor.polling import scheduling
from monitor.polling.recheck import recheck_targets
from monitor.polling.report import PollReport
from monitor.storage import retention
from monitor.storage.db import session_scope

log = logging.getLogger("monitor.scaleout")

QUEUES = ("dispatch", "poll", "notify", "maintenance")
_SCHEMA_LOCK = 0x534D5343  # pg advisory lock id while the schema is created ("SMSC")


def conninfo(app: App) -> str:
    """The libpq connection string for procrastinate, from ``storage.database_url``.

    Raises :class:`MonitorError` unless the database is PostgreSQL.
    """
    url = sa.engine.make_url(app.config.settings.storage.url())
    if url.get_backend_name() != "postgresql":
        raise MonitorError("scale-out workers need PostgreSQL: set storage.database_url to "
                           "postgresql+psycopg://user@host/db (daemon.mode = \"procrastinate\")")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _cron(seconds: int) -> str:
    # croniter reads a sixth field as seconds.
    if seconds % 60 == 0:
        return f"*/{max(1, seconds // 60)} * * * *"
    return f"* * * * * */{seconds}"


def ensure_schema(app: App) -> None:
    """Create procrastinate's schema and tables once (workers racing wait on a lock)."""
    schema = app.config.settings.daemon.procrastinate_schema
    with app.engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
        conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        exists = conn.execute(sa.text(
            "SELECT 1 FROM information_schema.tables "
            "WHERE table_schema = :s AND table_name = 'procrastinate_jobs'"), {"s": schema}).first()
        if exists is None:
            conn.execute(sa.text(f'SET LOCAL search_path TO "{schema}"'))
            # Through the driver without parameters: the script has literal % signs.
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            cursor = dbapi.cursor()
            cursor.execute(SchemaManager.get_schema())
            cursor.close()


async def _recover_stalled(papp: procrastinate.App, job: Job) -> None:
    """A job whose worker died mid-job: its transaction rolled back, so run it again.

    When a newer job for the same account already waits (same queueing lock), the stalled
    one is marked failed instead: the waiting job does the same poll once the stalled job
    no longer holds the account's lock.
    """
    assert job.id is not None
    try:
        await papp.job_manager.retry_job(job)
        log.warning("retrying a stalled job", extra={"job_id": job.id, "task": job.task_name})
    except UniqueViolation:
        await papp.job_manager.finish_job_by_id_async(job.id, Status.FAILED, delete_job=False)
        log.warning("dropped a stalled job: a newer one waits",
                    extra={"job_id": job.id, "task": job.task_name})


def build(app: App) -> procrastinate.App:
    """The procrastinate app with our tasks, bound to ``app`` (one per worker process)."""
    s = app.config.settings
    schema = s.daemon.procrastinate_schema
    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo(app), kwargs={"options": f"-c search_path={schema}"},
    )
    papp = procrastinate.App(connector=connector)
    tick = _cron(s.daemon.tick_seconds)

    def _pause_if_refused(report: PollReport) -> None:
        if report.outcome != "auth_failed":
            return
        now = utcnow()
        with session_scope(app.engine) as session:
            if report.network in scheduling.paused_networks(session, now):
                return
            until = report.retry_at or now
            until = max(until, now) + timedelta(minutes=s.daemon.auth_pause_minutes)
            scheduling.pause_network(session, report.network, until, "AuthFailed", now,
                                     actor="worker")
        log.error("network paused: credentials refused", extra={
            "event": "network_paused", "network": report.network})

    @papp.task(name="social_monitor.poll", queue="poll")
    def poll(account_id: int) -> dict[str, Any]:
        report = app.poller().poll_account(account_id, only_if_due=True)
        _pause_if_refused(report)
        if report.alerts:
            # AlreadyEnqueued: a delivery run is already waiting; it will send these too.
            with contextlib.suppress(AlreadyEnqueued):
                deliver.configure(queueing_lock="deliver").defer()
        return {"outcome": report.outcome, "new": report.new_posts, "alerts": report.alerts}

    @papp.task(name="social_monitor.deliver", queue="notify", lock="deliver")
    def deliver() -> int:
        return app.outbox().deliver_due().sent

    @papp.periodic(cron=tick, periodic_id="deliver")
    @papp.task(name="social_monitor.deliver_periodic", queue="notify", lock="deliver",
               queueing_lock="deliver_periodic")
    def deliver_periodic(timestamp: int) -> int:
        return app.outbox().deliver_due().sent

    def _pick() -> list[scheduling.Pick]:
        now = utcnow()
        with session_scope(app.engine) as session:
            paused = scheduling.paused_networks(session, now)
            return scheduling.pick_due(session, now, per_network=s.daemon.network_request_budget,
                                       batch_size=s.polling.batch_size, skip=paused)

    @papp.periodic(cron=tick, periodic_id="dispatch")
    @papp.task(name="social_monitor.dispatch", queue="dispatch", queueing_lock="dispatch")
    async def dispatch(timestamp: int) -> int:
        for job in await papp.job_manager.get_stalled_jobs():
            await _recover_stalled(papp, job)
        deferred = 0
        for pick in await asyncio.to_thread(_pick):
            try:
                await poll.configure(
                    lock=f"account:{pick.account_id}",
                    queueing_lock=f"poll:{pick.account_id}",
                ).defer_async(account_id=pick.account_id)
                deferred += 1
            except AlreadyEnqueued:
                pass  # already waiting in the queue: no pile-up
        if deferred:
            log.info("dispatched polls", extra={"deferred": deferred})
        return deferred

    @papp.periodic(cron=f"*/{s.daemon.recheck_minutes % 60 or 60} * * * *", periodic_id="recheck")
    @papp.task(name="social_monitor.recheck", queue="maintenance", queueing_lock="recheck")
    def recheck(timestamp: int) -> int:
        with session_scope(app.engine) as session:
            groups = recheck_targets(session, s, utcnow())
        for (account_id, _network), ids in groups.items():
            app.poller().recheck_account(account_id, ids)
        return len(groups)

    @papp.periodic(cron="1 * * * *", periodic_id="digest")
    @papp.task(name="social_monitor.digest", queue="maintenance", queueing_lock="digest")
    def digest_task(timestamp: int) -> None:
        digest.enqueue_due_digests(app.engine, app.config, utcnow())

    @papp.periodic(cron="17 3 * * *", periodic_id="retention")
    @papp.task(name="social_monitor.retention", queue="maintenance", queueing_lock="retention")
    def retention_task(timestamp: int) -> None:
        retention.purge(app.engine, app.config, utcnow())

    return papp


def run_worker(app: App, queues: list[str] | None = None, name: str | None = None) -> None:
    """Run one worker until SIGTERM/SIGINT (procrastinate handles the signals and lets
    running jobs finish within ``daemon.shutdown_timeout_seconds``)."""
    ensure_schema(app)
    papp = build(app)
    papp.run_worker(
        queues=queues or list(QUEUES),
        concurrency=app.config.settings.polling.workers,
        name=name,
        shutdown_graceful_timeout=app.config.settings.daemon.shutdown_timeout_seconds,
        install_signal_handlers=True,
    )
