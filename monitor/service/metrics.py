"""Prometheus metrics and the tiny ``/healthz`` + ``/metrics`` HTTP endpoint of the service.

Two kinds of figures: counters of what this process did (polls, posts, findings, rate-limit
waits, errors; they restart at zero with the process, as Prometheus expects), and gauges
read from the database at scrape time (alerts by status, queue depth, open findings, due
and paused accounts), so they are right whichever process did the work.
Each :class:`Metrics` has its own registry: no global state shared between tests.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from monitor.clock import utcnow
from monitor.errors import StorageUnavailable
from monitor.polling.report import PollReport
from monitor.service import status
from monitor.storage.db import session_scope

log = logging.getLogger("monitor.metrics")

OK_OUTCOMES = frozenset({"ok", "rechecked", "not_due", "no_consent", "gone"})


class _DatabaseCollector(Collector):
    """Gauges computed from a :func:`monitor.service.status.snapshot` at each scrape."""

    def __init__(self, engine: Engine, lock_file: Path | None) -> None:
        self.engine = engine
        self.lock_file = lock_file

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            snap = status.snapshot(self.engine, utcnow(), self.lock_file)
        except (sa.exc.SQLAlchemyError, StorageUnavailable) as exc:
            log.warning("metrics: database unavailable", extra={"error": type(exc).__name__})
            return
        alerts = GaugeMetricFamily("social_monitor_alerts", "Alerts in the outbox by status.",
                                   labels=["status"])
        for key, value in snap.alerts_by_status.items():
            alerts.add_metric([key], value)
        yield alerts
        yield GaugeMetricFamily("social_monitor_queue_depth",
                                "Alerts waiting to be sent (queued, failed, sending).",
                                value=snap.queue_depth)
        findings = GaugeMetricFamily("social_monitor_open_findings",
                                     "Open flags by category.", labels=["category"])
        for key, value in snap.open_findings_by_category.items():
            findings.add_metric([key], value)
        yield findings
        accounts = GaugeMetricFamily("social_monitor_accounts", "Linked accounts by status.",
                                     labels=["status"])
        for key, value in snap.accounts_by_status.items():
            accounts.add_metric([key], value)
        yield accounts
        yield GaugeMetricFamily("social_monitor_accounts_due",
                                "Accounts due for a poll now.", value=snap.accounts_due)
        paused = GaugeMetricFamily("social_monitor_network_paused",
                                   "1 while a network is paused after refused credentials.",
                                   labels=["network"])
        for network in snap.accounts_by_network:
            paused.add_metric([network], 1 if network in snap.paused_networks else 0)
        yield paused


class Metrics:
    """The process's counters plus the database gauges, in one registry."""

    def __init__(self, engine: Engine | None = None, lock_file: Path | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.polls = Counter("social_monitor_polls", "Account polls by network and outcome.",
                             ["network", "outcome"], registry=r)
        self.posts = Counter("social_monitor_posts",
                             "Posts seen by network and kind (new, edited, deleted).",
                             ["network", "kind"], registry=r)
        self.findings = Counter("social_monitor_findings", "Findings stored, by category.",
                                ["category"], registry=r)
        self.alerts_queued = Counter("social_monitor_alerts_queued",
                                     "Immediate alerts queued by polls.", registry=r)
        self.deliveries = Counter("social_monitor_deliveries",
                                  "Alert delivery attempts by result.", ["result"], registry=r)
        self.rate_limit_waits = Counter("social_monitor_rate_limit_waits",
                                        "Times a network asked us to wait.", ["network"],
                                        registry=r)
        self.errors = Counter("social_monitor_errors", "Failed polls by network and kind.",
                              ["network", "kind"], registry=r)
        self.requests = Counter("social_monitor_requests", "API requests made, by network.",
                                ["network"], registry=r)
        self.ticks = Counter("social_monitor_ticks", "Scheduler poll ticks run.", registry=r)
        if engine is not None:
            r.register(_DatabaseCollector(engine, lock_file))

    def observe(self, report: PollReport) -> None:
        """Count one poll (or re-check) report."""
        network = report.network or "unknown"
        self.polls.labels(network, report.outcome).inc()
        self.requests.labels(network).inc(report.requests)
        for kind in ("new", "edited", "deleted"):
            n = getattr(report, f"{kind}_posts")
            if n:
                self.posts.labels(network, kind).inc(n)
        for category, n in report.categories.items():
            self.findings.labels(category).inc(n)
        if report.alerts:
            self.alerts_queued.inc(report.alerts)
        if report.outcome == "rate_limited":
            self.rate_limit_waits.labels(network).inc()
        if report.outcome not in OK_OUTCOMES:
            self.errors.labels(network, report.outcome).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class Health:
    """Liveness: the scheduler ticked recently and the database answers."""

    def __init__(self, engine: Engine, tick_seconds: float) -> None:
        self.engine = engine
        self.tick_seconds = tick_seconds
        self.started_at = utcnow()
        self.last_tick: datetime | None = None
        self.stopping = False

    def check(self) -> tuple[bool, dict[str, Any]]:
        now = utcnow()
        reference = self.last_tick or self.started_at
        # A tick may take a while (a slow network); three intervals plus a minute is "stuck".
        ticking = now - reference <= timedelta(seconds=3 * self.tick_seconds + 60)
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            database = True
        except (sa.exc.SQLAlchemyError, StorageUnavailable):
            database = False
        failing_accounts = 0
        if database:
            try:
                with session_scope(self.engine) as session:
                    failing_accounts = len(status.list_failing(session))
            except (sa.exc.SQLAlchemyError, StorageUnavailable):
                database = False
        ok = ticking and database and not self.stopping
        # Degraded: the service runs, but some accounts fail poll after poll (status
        # lists them); still HTTP 200, so a supervisor does not restart it for that.
        state = ("degraded" if failing_accounts else "ok") if ok else "unhealthy"
        return ok, {
            "status": state,
            "failing_accounts": failing_accounts,
            "database": database,
            "ticking": ticking,
            "stopping": self.stopping,
            "last_tick": self.last_tick.isoformat() if self.last_tick else None,
        }


class _Handler(BaseHTTPRequestHandler):
    server: _OpsServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # scrapes every few seconds would flood the log

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            body, ctype, code = self.server.metrics.render(), CONTENT_TYPE_LATEST, 200
        elif path == "/healthz":
            ok, detail = self.server.health.check()
            body, ctype, code = json.dumps(detail).encode(), "application/json", 200 if ok else 503
        else:
            body, ctype, code = b"not found\n", "text/plain", 404
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _OpsServer(ThreadingHTTPServer):
    daemon_threads = True
    metrics: Metrics
    health: Health


class OpsServer:
    """``/healthz`` and ``/metrics`` on ``host:port`` in a background thread."""

    def __init__(self, host: str, port: int, metrics: Metrics, health: Health) -> None:
        self._server = _OpsServer((host, port), _Handler)
        self._server.metrics, self._server.health = metrics, health
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.2}, name="ops-http",
                                        daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> OpsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
