"""The outbox against a failing world, on real SMTP servers on loopback (SQLite and
PostgreSQL): an outage longer than the retry budget, two deliverers on one database, a
crash mid-send. The ledger is checked after each."""

from __future__ import annotations

import contextlib
import json
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlmodel import Session, select

from monitor.alerts import digest
from monitor.app import App
from monitor.cli import cli
from monitor.clock import utcnow
from monitor.people import employees
from monitor.service.smtp_sink import SmtpSink, free_port
from monitor.storage.db import session_scope
from monitor.storage.models import AlertRow

LEAKS = [f"post {i}: our client Acme Corp signed with us" for i in range(12)]


def _people(app: App, tmp_path: Path, people: int = 1, posts: int = 3) -> None:
    with session_scope(app.engine) as s:
        for n in range(people):
            email = f"p{n}@example.com"
            employees.add_employee(s, email, f"P{n}")
            employees.opt_in(s, email)
            path = tmp_path / f"p{n}.jsonl"
            path.write_text("".join(json.dumps({
                "id": f"{n}-{i}", "text": f"{LEAKS[i]} ({n})",
                "created_at": "2026-11-20T08:00:00Z"}) + "\n" for i in range(posts)))
            employees.link_account(s, email, "file", str(path))


def _alerts(app: App) -> list[AlertRow]:
    with Session(app.engine) as s:
        return list(s.exec(select(AlertRow).where(AlertRow.channel == "email")))


def test_an_smtp_outage_longer_than_the_retry_budget_kills_no_alert(
    db_url: str, make_app: Callable[..., App], tmp_path: Path, caplog: Any
) -> None:
    # given a mail server that is down (nothing listens on its port)
    port = free_port()
    app = make_app(db_url, smtp={"host": "127.0.0.1", "port": port},
                   alerts={"max_attempts": 2, "immediate_per_hour": 50})
    _people(app, tmp_path, posts=3)
    app.poller().poll_due()
    now = utcnow()
    # when delivery runs many times past every retry delay, far beyond max_attempts
    for step in range(8):
        report = app.outbox().deliver_due(now=now + timedelta(days=step))
        assert report.dead == 0 and report.failed == 3
    # then nothing is dead, and the operator was told
    assert {a.status for a in _alerts(app)} == {"failed"}
    assert all("unavailable" in a.last_error for a in _alerts(app))
    assert any(getattr(r, "event", "") == "alert_transport_unavailable" for r in caplog.records)
    # when the server comes back on its port, each alert goes out exactly once
    with SmtpSink(tmp_path / "mail2", port=port) as sink:
        for step in range(2):
            app.outbox().deliver_due(now=now + timedelta(days=30 + step))
        ids = Counter(m["Message-ID"] for m in sink.messages)
    assert len(ids) == 3 and set(ids.values()) == {1}
    assert {a.status for a in _alerts(app)} == {"sent"}


def test_two_deliverers_on_one_database_send_each_alert_once(
    db_url: str, make_app: Callable[..., App], smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    app = make_app(db_url, alerts={"immediate_per_hour": 50})
    _people(app, tmp_path, people=4, posts=10)
    app.poller().poll_due()
    queued = len(_alerts(app))
    assert queued == 40
    start = threading.Barrier(2)

    def deliver() -> None:
        start.wait()
        app.outbox().deliver_due()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    ids = Counter(m["Message-ID"] for m in smtp_sink.messages)
    assert len(ids) == queued and set(ids.values()) == {1}, ids.most_common(2)
    assert {a.status for a in _alerts(app)} == {"sent"}


def test_a_crash_mid_send_is_unconfirmed_never_resent_and_still_reaches_the_employee(
    db_url: str, make_app: Callable[..., App], smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    app = make_app(db_url)
    _people(app, tmp_path, posts=1)
    app.poller().poll_due()

    class DiesWhileSending:
        """The process 'dies' while the server holds the message: nothing is recorded."""

        def send(self, msg: Any) -> None:
            raise SystemExit("killed")

    with contextlib.suppress(SystemExit):
        app.outbox(sender=DiesWhileSending()).deliver_due()
    later = utcnow() + timedelta(hours=2)
    report = app.outbox().deliver_due(now=later)
    assert report.unconfirmed == 1 and report.sent == 0 and smtp_sink.messages == []
    (alert,) = _alerts(app)
    assert alert.status == "unconfirmed" and alert.last_error.startswith("delivery unconfirmed")
    # `alerts list` says why
    env = {"SOCIAL_MONITOR_STORAGE__DATABASE_URL": app.config.settings.storage.url(),
           "SOCIAL_MONITOR_STORAGE__DATA_DIR": str(app.config.settings.storage.data_dir)}
    listed = CliRunner().invoke(cli, ["alerts", "list", "--status", "unconfirmed", "--json"],
                                env=env)
    assert listed.exit_code == 0, listed.output
    assert "delivery unconfirmed" in listed.output
    # the flag is still open: the next digest lists it
    assert digest.enqueue_due_digests(app.engine, app.config, later, ignore_hour=True) == 1
    app.outbox().deliver_due(now=later)
    (mail,) = smtp_sink.messages
    assert mail["Subject"] == "1 post needs your review"
