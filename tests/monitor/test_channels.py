"""Chat/push channels through apprise, and immediate alerts despite a digest unsubscribe.

A real loopback HTTP server receives apprise's ``json://`` notifications; a channel pointing
at a closed port fails on its own; a real SMTP sink receives the e-mails.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import select

from monitor.alerts import digest
from monitor.alerts.channels import channel_label
from monitor.app import App
from monitor.clock import utcnow
from monitor.people import employees
from monitor.review import own
from monitor.service.smtp_sink import SmtpSink, free_port
from monitor.storage.db import session_scope
from monitor.storage.models import AlertRow, EmployeeRow

LEAK = "our client Acme Corp signed with us!"
SECRET_PATH = "hooks/T000/s3cr3t-webhook-token"


class Receiver:
    """A loopback HTTP endpoint that keeps every JSON body POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                receiver.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/{SECRET_PATH}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()
        r.thread.join(timeout=10)


def _write(posts_file: Path, texts: list[str]) -> None:
    posts_file.write_text("".join(
        json.dumps({"id": str(i), "text": t, "created_at": "2026-11-21T09:00:00Z",
                    "url": f"https://social.example/p/{i}"}) + "\n"
        for i, t in enumerate(texts)))


def _setup(app: App, posts_file: Path, texts: list[str]) -> None:
    _write(posts_file, texts)
    with session_scope(app.engine) as s:
        employees.add_employee(s, "alice@example.com", "Alice", "Europe/Paris")
        employees.opt_in(s, "alice@example.com")
        employees.link_account(s, "alice@example.com", "file", str(posts_file))


def _rows(app: App) -> dict[str, AlertRow]:
    with session_scope(app.engine) as s:
        return {a.channel: a for a in s.exec(select(AlertRow).order_by(AlertRow.id))}  # type: ignore[arg-type]


def test_every_channel_gets_the_alert_and_a_dead_channel_blocks_nothing(
    db_url: str, make_app: Callable[..., App], smtp_sink: SmtpSink, receiver: Receiver,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    # given one working channel in the settings and one on a closed port in the environment
    closed = f"json://127.0.0.1:{free_port()}/{SECRET_PATH}"
    monkeypatch.setenv("SOCIAL_MONITOR_CHANNEL_URLS", closed)
    app = make_app(db_url, channels={"urls": [receiver.url()]}, alerts={"max_attempts": 2})
    _setup(app, tmp_path / "alice.jsonl", ["Lovely weather today", LEAK])
    caplog.set_level(logging.DEBUG)
    # when the posts are polled and alerts delivered
    app.poller().poll_due()
    first = app.outbox().deliver_due()
    # then the e-mail and the working channel got it; the broken channel is retried later
    assert (first.sent, first.failed, first.dead) == (2, 1, 0)
    assert len(smtp_sink.messages) == 1
    [note] = receiver.bodies
    assert receiver.paths == [f"/{SECRET_PATH}"]
    good, bad = channel_label(receiver.url()), channel_label(closed)
    rows = _rows(app)
    assert set(rows) == {"email", good, bad}
    assert rows["email"].status == rows[good].status == "sent"
    assert rows[bad].status == "failed"
    assert rows[bad].last_error.startswith(f"channel {bad} did not take the notification")
    # only network, category, rule and the review page: no post text, name or token
    text = f"{note['title']}\n{note['message']}"
    assert "Network: exported" in text
    assert "Category: confidential company information" in text
    assert "Rule 4" in text
    assert "Review page: http://127.0.0.1:8080/signin " in text
    assert "Acme" not in text and "Alice" not in text and "token" not in text
    # when delivery runs again after the retry delay: the bad channel dies, nothing repeats
    later = utcnow() + timedelta(days=1)
    second = app.outbox().deliver_due(now=later)
    assert (second.sent, second.dead) == (0, 1)
    assert _rows(app)[bad].status == "dead"
    assert len(smtp_sink.messages) == 1 and len(receiver.bodies) == 1
    # the URLs (which hold tokens) are in no log line and no stored error
    for row in _rows(app).values():
        assert "s3cr3t" not in row.last_error and str(receiver.port) not in row.last_error
        assert re.fullmatch(r"email|json:[0-9a-f]{10}", row.channel)
    ours = [r.getMessage() + str(r.__dict__) for r in caplog.records
            if r.name.startswith("monitor")]
    assert ours and not any("s3cr3t" in line for line in ours)
    # apprise's own lines (its DEBUG ones quote the full URL) never reach our handlers;
    # urllib3's are held at WARNING by monitor.service.logs.configure
    assert logging.getLogger("apprise").propagate is False


def test_an_invalid_channel_url_is_dead_at_once_with_a_clear_error(
    db_url: str, make_app: Callable[..., App], smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    app = make_app(db_url, channels={"urls": ["nosuchservice://abc/def"]})
    _setup(app, tmp_path / "alice.jsonl", [LEAK])
    app.poller().poll_due()
    report = app.outbox().deliver_due()
    assert (report.sent, report.dead) == (1, 1)
    label = channel_label("nosuchservice://abc/def")
    assert report.errors == [f"alert {_rows(app)[label].id}: channel {label}: not a valid "
                             "apprise URL"]
    assert len(smtp_sink.messages) == 1


def test_a_resolved_flag_cancels_its_channel_alerts_too(
    db_url: str, make_app: Callable[..., App], smtp_sink: SmtpSink, receiver: Receiver,
    tmp_path: Path,
) -> None:
    app = make_app(db_url, channels={"urls": [receiver.url()]})
    posts_file = tmp_path / "alice.jsonl"
    _setup(app, posts_file, [LEAK])
    app.poller().poll_due()
    # the employee edits the leak out before anything went out; the next poll notices
    _write(posts_file, ["we signed a new client!"])
    with session_scope(app.engine) as s:
        s.execute(sa.text("UPDATE account SET next_poll_at = :t"),
                  {"t": utcnow().replace(tzinfo=None)})
    app.poller().poll_due()
    report = app.outbox().deliver_due()
    assert report.sent == 0
    assert {a.status for a in _rows(app).values()} <= {"cancelled"}
    assert receiver.bodies == [] and smtp_sink.messages == []


def test_channels_do_not_eat_into_the_immediate_alert_budget(
    db_url: str, make_app: Callable[..., App], smtp_sink: SmtpSink, receiver: Receiver,
    tmp_path: Path,
) -> None:
    app = make_app(db_url, channels={"urls": [receiver.url()]},
                   alerts={"immediate_per_hour": 2})
    _setup(app, tmp_path / "alice.jsonl", [f"post {i}: {LEAK}" for i in range(4)])
    app.poller().poll_due()
    report = app.outbox().deliver_due()
    assert report.sent == 4  # 2 e-mails + 2 notifications; the other 2 flags wait for the digest
    assert len(smtp_sink.messages) == 2 and len(receiver.bodies) == 2


def test_unsubscribing_from_the_digest_does_not_silence_immediate_alerts(
    db_url: str, make_app: Callable[..., App], smtp_sink: SmtpSink, receiver: Receiver,
    tmp_path: Path,
) -> None:
    # given an employee who left the digest (one-click unsubscribe)
    app = make_app(db_url, channels={"urls": [receiver.url()]})
    _setup(app, tmp_path / "alice.jsonl", [LEAK])
    with session_scope(app.engine) as s:
        emp = s.exec(select(EmployeeRow)).one()
        own.unsubscribe_digest(s, emp.id or 0, utcnow())
    # when a high-severity (immediate) flag comes in
    app.poller().poll_due()
    report = app.outbox().deliver_due()
    # then the immediate e-mail and notification still go out, but no digest is queued
    assert report.sent == 2
    [msg] = smtp_sink.messages
    assert msg["Subject"] == "Possible confidential information in your exported post"
    assert len(receiver.bodies) == 1
    assert digest.enqueue_due_digests(app.engine, app.config, utcnow(), ignore_hour=True) == 0

