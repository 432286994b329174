"""The background service: APScheduler runs a few periodic jobs over our own schedule table.

Per-account timing lives in the ``account`` table (next_poll_at, failure_count), not in
APScheduler's job store, so the number of jobs does not grow with the number of accounts.
Jobs (explicit ids, ``coalesce=True``, ``max_instances=1``): ``poll-tick`` (pick due
accounts per network within its budget, poll them in a worker pool), ``deliver`` (the
outbox), ``recheck`` (posts with open flags: deletions and edits close them), ``digest``
(hourly) and ``retention`` (daily). Fairness, pauses and rests: see
:mod:`monitor.polling.scheduling`.

Stopping (SIGTERM/SIGINT): no new job and no new poll starts; polls already fetching finish
(each stores in one transaction) and queued ones are released (their accounts stay due).
After ``daemon.shutdown_timeout_seconds`` the run returns anyway with ``clean=False``: a
poll cut off then is rolled back, exactly like a crash, and redone after the restart.

With ``review.serve_with_daemon`` the review page (the same app as ``social-monitor serve``)
runs in a thread of the daemon on ``review.host:review.port``; it stops with the daemon.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType
from typing import Any, ParamSpec, TypeVar

from apscheduler.schedulers.background import BackgroundScheduler

from monitor.alerts import digest, outbox
from monitor.app import App
from monitor.clock import utcnow
from monitor.errors import Conflict, MonitorError
from monitor.polling import failures, poller, recheck, scheduling
from monitor.polling.report import PollReport
from monitor.service.locks import DatabaseLock, InstanceLock
from monitor.service.metrics import Health, Metrics, OpsServer
from monitor.service.status import lock_path
from monitor.storage import retention
from monitor.storage.db import session_scope

log = logging.getLogger("monitor.daemon")
T = TypeVar("T")
P = ParamSpec("P")


class ReviewServer:
    """The review page served by uvicorn in a thread of the daemon (``review.serve_with_daemon``).

    No access log: uvicorn's would print query strings, which can hold sign-in tokens (the
    page logs method, path and status itself).
    """

    def __init__(self, app: App) -> None:
        import uvicorn

        from monitor.web import create_app

        review = app.config.settings.review
        self.where = f"http://{review.host}:{review.port}"
        config = uvicorn.Config(create_app(app), host=review.host, port=review.port,
                                access_log=False, log_config=None, proxy_headers=True,
                                server_header=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="review-page", daemon=True)

    def start(self, timeout: float = 30) -> ReviewServer:
        """Start serving; raises :class:`MonitorError` if it cannot (say, the port is taken)."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop(1)
                raise MonitorError(f"the review page could not start on {self.where} (is the "
                                   "port in use? see review.host and review.port)")
            time.sleep(0.05)
        log.info("review page started", extra={"url": self.where})
        return self

    def stop(self, timeout: float) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


@dataclass(frozen=True)
class RunReport:
    """How a run ended: ``clean`` is False if in-flight work was abandoned at the deadline."""

    clean: bool
    abandoned: int = 0


class Service:
    """The jobs of the embedded daemon, over one App, sharing rests, metrics and a stop flag."""

    def __init__(self, app: App, *, metrics: Metrics | None = None,
                 stopping: threading.Event | None = None) -> None:
        self.app = app
        self.settings = app.config.settings
        self.metrics = metrics or Metrics()
        self.stopping = stopping or threading.Event()
        self.rests = scheduling.Rests()
        self.health = Health(app.engine, self.settings.daemon.tick_seconds)
        self.pool = ThreadPoolExecutor(max_workers=self.settings.polling.workers,
                                       thread_name_prefix="poll")
        self._inflight = 0
        self._idle = threading.Condition()
        self._pause_lock = threading.Lock()
        self._paused: dict[str, datetime] = {}
        self._queued: set[int] = set()
        self._queue_lock = threading.Lock()
        # Set by run(): the PostgreSQL advisory lock, checked before each poll and delivery.
        self.db_lock: DatabaseLock | None = None
        self.lost_lock = False

    def _still_ours(self) -> bool:
        """False (and the daemon stops) once another daemon holds the database lock."""
        if self.db_lock is None or self.db_lock.verify():
            return True
        if not self.lost_lock:
            self.lost_lock = True
            log.error("another social-monitor daemon took the database lock; stopping",
                      extra={"event": "database_lock_taken"})
            self.stopping.set()
        return False

    # -- in-flight accounting (for a bounded shutdown) --------------------------------------
    def _tracked(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        with self._idle:
            self._inflight += 1
        try:
            return fn(*args, **kwargs)
        finally:
            with self._idle:
                self._inflight -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> int:
        """Wait until no tracked work runs, at most ``timeout`` s; returns what still runs."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._inflight and (left := deadline - time.monotonic()) > 0:
                self._idle.wait(left)
            return self._inflight

    # -- polling ------------------------------------------------------------------------------
    def poll_tick(self, *, wait: bool = False) -> dict[str, int]:
        """Pick due accounts fairly across networks and hand them to the worker pool.

        The tick does not wait for the polls (``wait=True`` does, for tests and scripts):
        a poll stuck on a slow source must not hold up the next tick. Accounts queued or
        in flight are not picked again, and at most ``polling.batch_size`` are, so the
        queue stays bounded.
        """
        if self.stopping.is_set() or not self._still_ours():
            return {}
        now = utcnow()
        d = self.settings.daemon
        with self._queue_lock:
            busy = set(self._queued)
        room = self.settings.polling.batch_size - len(busy)
        self.metrics.ticks.inc()
        self.health.last_tick = now
        if room <= 0:
            return {}
        with session_scope(self.app.engine) as session:
            paused = scheduling.paused_networks(session, now)
            picks = scheduling.pick_due(
                session, now, per_network=d.network_request_budget, batch_size=room + len(busy),
                skip=set(paused) | self.rests.resting(now),
            )
        picks = [p for p in picks if p.account_id not in busy][:room]
        budget = scheduling.TickBudget(d.network_request_budget, self.rests)
        with self._queue_lock:
            self._queued.update(p.account_id for p in picks)
        futures: list[Future[PollReport | None]] = [
            self.pool.submit(self._poll_one, pick, budget) for pick in picks
        ]
        if not wait:
            return {"picked": len(picks)}
        reports = []
        for fut in futures:
            try:
                report = fut.result()
            except CancelledError:
                continue
            if report is not None:
                reports.append(report)
        return poller.summarize(reports)

    def _poll_one(self, pick: scheduling.Pick, budget: scheduling.TickBudget) -> PollReport | None:
        try:
            if self.stopping.is_set():
                return None  # released: the account stays due for the next run
            now = utcnow()
            if not budget.take(pick.network, now):
                return None  # budget spent or network resting: the account stays due
            try:
                report = self._tracked(self.app.poller().poll_account, pick.account_id,
                                       now=now, only_if_due=True)
            except Exception as exc:
                # poll_account contains what the source and the store do; this is the
                # database failing around it. Never lost inside the pool's future: logged
                # and counted, and the account stays due for the next tick.
                log.warning("poll failed", extra={"account_id": pick.account_id,
                                                  "network": pick.network,
                                                  "outcome": "crashed",
                                                  "error": failures.error_name(exc)})
                self.metrics.errors.labels(pick.network, "crashed").inc()
                return None
            budget.spend(pick.network, report.requests)
            self._after(report)
            return report
        finally:
            with self._queue_lock:
                self._queued.discard(pick.account_id)

    def _after(self, report: PollReport) -> None:
        """Metrics, rests and pauses from one poll or re-check report."""
        self.metrics.observe(report)
        if report.retry_at is not None:
            self.rests.rest(report.network, report.retry_at)
            log.warning("network rate limited", extra={
                "event": "rate_limited", "network": report.network,
                "retry_at": report.retry_at.isoformat()})
        elif report.outcome == "auth_failed":
            self.pause_network(report.network, "AuthFailed")

    def pause_network(self, network: str, reason: str) -> None:
        """Pause ``network`` (once, however many polls fail together) and alert the operator."""
        now = utcnow()
        until = now + timedelta(minutes=self.settings.daemon.auth_pause_minutes)
        with self._pause_lock:
            if self._paused.get(network, now) > now:
                return  # another poll of this network already paused it
            self._paused[network] = until
            self.rests.rest(network, until)
            with session_scope(self.app.engine) as session:
                if network not in scheduling.paused_networks(session, now):
                    scheduling.pause_network(session, network, until, reason, now)
        # The operator alert: an ERROR line with a stable event name, an audit event, and
        # the social_monitor_network_paused gauge; all three point at the credentials.
        log.error("network paused: credentials refused; fix them and restart or wait",
                  extra={"event": "network_paused", "network": network, "reason": reason,
                         "until": until.isoformat()})

    # -- other jobs ---------------------------------------------------------------------------
    def recheck(self) -> int:
        """Look again at posts with open flags; returns the accounts re-checked."""
        now = utcnow()
        with session_scope(self.app.engine) as session:
            groups = recheck.recheck_targets(session, self.settings, now)
            paused = scheduling.paused_networks(session, now)
        done = 0
        for (account_id, network), native_ids in groups.items():
            if self.stopping.is_set():
                break
            if network in paused or self.rests.is_resting(network, utcnow()):
                continue
            report = self._tracked(self.app.poller().recheck_account, account_id, native_ids,
                                   now=utcnow())
            self._after(report)
            done += 1
        return done

    def deliver(self) -> outbox.DeliveryReport | None:
        if self.stopping.is_set() or not self._still_ours():
            return None
        report = self._tracked(self.app.outbox().deliver_due)
        for result in ("sent", "failed", "dead", "cancelled", "unconfirmed"):
            n = getattr(report, result)
            if n:
                self.metrics.deliveries.labels(result).inc(n)
        if report.dead or report.failed:
            log.warning("alert delivery problems", extra={"failed": report.failed,
                                                          "dead": report.dead})
        return report

    def digest(self) -> None:
        if not self.stopping.is_set():
            self._tracked(digest.enqueue_due_digests, self.app.engine, self.app.config,
                          utcnow())

    def retention(self) -> None:
        if not self.stopping.is_set():
            self._tracked(retention.purge, self.app.engine, self.app.config, utcnow())

    def scheduler(self, tick_seconds: int) -> BackgroundScheduler:
        """The APScheduler with the five jobs; not started."""
        sched = BackgroundScheduler(timezone="UTC", job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": 60,
        })
        now = utcnow()
        sched.add_job(self.poll_tick, "interval", seconds=tick_seconds, id="poll-tick",
                      next_run_time=now)
        sched.add_job(self.deliver, "interval", seconds=tick_seconds, id="deliver",
                      next_run_time=now)
        # First re-check soon after the first poll, so frequent restarts do not starve it.
        sched.add_job(self.recheck, "interval", minutes=self.settings.daemon.recheck_minutes,
                      id="recheck", next_run_time=now + timedelta(seconds=tick_seconds))
        sched.add_job(self.digest, "cron", minute=1, id="digest")
        sched.add_job(self.retention, "cron", hour=3, minute=17, id="retention")
        return sched


def run(app: App, *, tick_seconds: int | None = None, stop: threading.Event | None = None,
        on_ready: Callable[[Service, OpsServer | None], None] | None = None) -> RunReport:
    """Run until SIGTERM/SIGINT (or ``stop`` is set); finish in-flight work, then return.

    Raises :class:`Conflict` if another daemon runs on the same data directory.
    """
    d = app.config.settings.daemon
    tick = tick_seconds or d.tick_seconds
    stopping = stop or threading.Event()
    lock = InstanceLock(lock_path(app.config.settings.storage))
    lock.acquire()
    db_lock = DatabaseLock(app.engine)
    try:
        db_lock.acquire()
    except Conflict:
        lock.release()
        raise
    service = Service(app, metrics=Metrics(app.engine, lock_path(app.config.settings.storage)),
                      stopping=stopping)
    service.db_lock = db_lock
    service.health.tick_seconds = tick
    ops: OpsServer | None = None
    review: ReviewServer | None = None
    previous: dict[int, Any] = {}
    scheduler = service.scheduler(tick)
    try:
        if d.http_port:
            ops = OpsServer(d.http_host, d.http_port, service.metrics, service.health).start()
        if app.config.settings.review.serve_with_daemon:
            review = ReviewServer(app).start()

        def _on_signal(signum: int, _frame: FrameType | None) -> None:
            log.info("stopping", extra={"signal": signal.Signals(signum).name})
            stopping.set()

        if threading.current_thread() is threading.main_thread():
            previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        scheduler.start()
        log.info("daemon started", extra={"tick_seconds": tick, "pid": os.getpid(),
                                          "http_port": ops.port if ops else 0})
        if on_ready is not None:
            on_ready(service, ops)
        while not stopping.wait(0.5):
            pass
    finally:
        stopping.set()
        service.health.stopping = True
        if scheduler.running:
            scheduler.shutdown(wait=False)  # no new job starts; running ones see `stopping`
        service.pool.shutdown(wait=False, cancel_futures=True)
        left = service.wait_idle(d.shutdown_timeout_seconds)
        if left:
            log.error("shutdown deadline passed; abandoning in-flight work (rolled back)",
                      extra={"event": "shutdown_timeout", "in_flight": left})
        if review is not None:
            review.stop(d.shutdown_timeout_seconds)
        if ops is not None:
            ops.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
        db_lock.release()
        lock.release()
        log.info("daemon stopped", extra={"clean": not left})
    if service.lost_lock:
        raise Conflict("another social-monitor daemon took over this database while this one "
                       "ran (after a database restart?); this one stopped")
    return RunReport(clean=not left, abandoned=left)
