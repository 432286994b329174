"""The first end-to-end slice: file connector -> store -> classify -> alert -> real SMTP."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from monitor.alerts import digest, outbox
from monitor.app import App
from monitor.clock import utcnow
from monitor.people import employees
from monitor.service.smtp_sink import SmtpSink
from monitor.storage.db import session_scope
from monitor.storage.models import AlertRow, FindingRow, PostRow

POSTS = [
    {"id": "1", "text": "Lovely weather for a walk today", "created_at": "2026-11-20T08:00:00Z"},
    {
        "id": "2",
        "text": "our client Acme Corp signed with us!",
        "created_at": "2026-11-21T09:00:00Z",
        "url": "https://social.example/p/2",
    },
]


def _write(path: Path, posts: list[dict[str, str]]) -> None:
    path.write_text("".join(json.dumps(p) + "\n" for p in posts))


def _setup(app: App, posts_file: Path) -> None:
    with session_scope(app.engine) as s:
        employees.add_employee(s, "alice@example.com", "Alice", "Europe/Paris")
        employees.opt_in(s, "alice@example.com")
        employees.link_account(s, "alice@example.com", "file", str(posts_file))


def _alice(app: App, tmp_path: Path, posts: list[dict[str, str]] = POSTS) -> tuple[App, Path]:
    """Given: Alice opted in, her export with ``posts`` linked."""
    posts_file = tmp_path / "alice.jsonl"
    _write(posts_file, posts)
    _setup(app, posts_file)
    return app, posts_file


def _poll_and_send(app: App) -> outbox.DeliveryReport:
    app.poller().poll_due()
    return app.outbox().deliver_due()


def _make_due(app: App) -> None:
    with session_scope(app.engine) as s:
        now = utcnow().replace(tzinfo=None)
        s.execute(sa.text("UPDATE account SET next_poll_at = :t"), {"t": now})


def test_poll_flags_the_post_and_emails_one_alert(
    db_url: str, make_app: Callable[..., App], smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    # given an opted-in employee whose export holds one confidential post
    app, _posts_file = _alice(make_app(db_url), tmp_path)
    # when the accounts are polled once and alerts delivered
    report = _poll_and_send(app)
    # then exactly one alert e-mail arrived, for the confidential post
    assert report.sent == 1
    [msg] = smtp_sink.messages
    assert msg["To"] == "alice@example.com"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Message-ID"].startswith("<alert-")
    plain = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    for body in (plain, html):
        assert "Acme Corp" in body
        assert "Rule 4" in body
        assert "/signin?token=" in body
    assert "[[Acme Corp]]" in plain
    assert "<mark" in html and "Acme Corp</mark>" in html
    # the link carries a token, never post text
    link = next(w for w in plain.split() if "/signin?token=" in w)
    assert "Acme" not in link and "signed" not in link
    with session_scope(app.engine) as s:
        [finding] = s.exec(select(FindingRow)).all()
        post = s.get(PostRow, finding.post_id)
        assert post is not None and post.native_id == "2"
        assert (finding.category, finding.rule, finding.decision) == ("confidential", "4", "alert")
        assert post.text is not None
        assert post.text[finding.start:finding.end] == "Acme Corp"


def test_repoll_and_restart_store_and_alert_nothing_twice(
    db_url: str, make_app: Callable[..., App], smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    app, posts_file = _alice(make_app(db_url), tmp_path)
    _poll_and_send(app)
    # a restart: a new App on the same database, the file touched but unchanged in content
    app.engine.dispose()
    again = make_app(db_url)
    _make_due(again)
    _poll_and_send(again)
    # and a changed file with one new harmless post: only that one is stored
    _write(posts_file, [*POSTS, {"id": "3", "text": "Team lunch was great",
                                 "created_at": "2026-11-22T12:00:00Z"}])
    _make_due(again)
    _poll_and_send(again)
    with session_scope(again.engine) as s:
        assert s.exec(select(sa.func.count()).select_from(PostRow)).one() == 3
        assert s.exec(select(sa.func.count()).select_from(FindingRow)).one() == 1
        assert s.exec(select(sa.func.count()).select_from(AlertRow)).one() == 1
    assert len(smtp_sink.messages) == 1


def test_edit_that_removes_the_term_resolves_the_flag_and_cancels_the_alert(
    db_url: str, make_app: Callable[..., App], smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    app, posts_file = _alice(make_app(db_url), tmp_path)
    app.poller().poll_due()  # not sent yet
    edited = [POSTS[0], {**POSTS[1], "text": "we signed a new client!"}]
    _write(posts_file, edited)
    _make_due(app)
    report = _poll_and_send(app)
    assert report.sent == 0 and report.cancelled == 0
    with session_scope(app.engine) as s:
        [finding] = s.exec(select(FindingRow)).all()
        [alert] = s.exec(select(AlertRow)).all()
    assert (finding.status, finding.resolution) == ("resolved", "post_edited")
    assert alert.status == "cancelled"
    assert smtp_sink.messages == []


def test_smtp_down_then_up_loses_nothing_and_sends_once(
    db_url: str, make_app: Callable[..., App], smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    app, _posts_file = _alice(make_app(db_url), tmp_path)
    smtp_sink.refuse_all = True
    first = _poll_and_send(app)
    assert (first.sent, first.failed) == (0, 1)
    smtp_sink.refuse_all = False
    later = utcnow().replace(year=utcnow().year + 1)  # well past any retry delay
    second = app.outbox().deliver_due(now=later)
    third = app.outbox().deliver_due(now=later)
    assert (second.sent, third.sent) == (1, 0)
    assert len(smtp_sink.messages) == 1


def test_crash_between_send_and_commit_sends_no_second_mail(
    db_url: str, make_app: Callable[..., App], smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    app, _posts_file = _alice(make_app(db_url), tmp_path)
    app.poller().poll_due()

    class DiesAfterSending:
        """The real SMTP transport, then the process 'dies' before recording success."""

        def send(self, msg: Any) -> None:
            app.transport().send(msg)
            raise SystemExit("killed")

    with contextlib.suppress(SystemExit):
        app.outbox(sender=DiesAfterSending()).deliver_due()
    assert len(smtp_sink.messages) == 1
    # restart, later than the sending lease
    later = utcnow().replace(year=utcnow().year + 1)
    report = app.outbox().deliver_due(now=later)
    assert report.unconfirmed == 1 and report.sent == 0
    assert len(smtp_sink.messages) == 1


def test_malformed_address_is_a_dead_alert_with_a_clear_error(
    db_url: str, make_app: Callable[..., App], smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    app, _posts_file = _alice(make_app(db_url), tmp_path)
    with session_scope(app.engine) as s:
        s.execute(sa.text("UPDATE employee SET email = 'alice@'"))
    report = _poll_and_send(app)
    assert report.dead == 1
    assert "malformed recipient address 'alice@'" in report.errors[0]


def test_digest_lists_open_flags_with_unsubscribe_headers(
    db_url: str, make_app: Callable[..., App], smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    app, _posts_file = _alice(make_app(db_url), tmp_path)
    _poll_and_send(app)
    now = utcnow()
    assert digest.enqueue_due_digests(app.engine, app.config, now, ignore_hour=True) == 1
    assert digest.enqueue_due_digests(app.engine, app.config, now, ignore_hour=True) == 0
    report = app.outbox().deliver_due(now=now)
    assert report.sent == 1
    msg = smtp_sink.messages[-1]
    assert msg["Subject"] == "1 post needs your review"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/unsubscribe?token=" in msg["List-Unsubscribe"]


def test_immediate_alerts_are_rate_limited_per_employee_overflow_goes_to_digest(
    db_url: str, make_app: Callable[..., App], smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    leaks = [
        {"id": str(i), "text": f"post {i}: Acme Corp again", "created_at": "2026-11-21T09:00:00Z"}
        for i in range(5)
    ]
    app, _ = _alice(make_app(db_url, alerts={"immediate_per_hour": 2}), tmp_path, leaks)
    report = _poll_and_send(app)
    assert report.sent == 2
    with session_scope(app.engine) as s:
        assert s.exec(select(sa.func.count()).select_from(FindingRow)).one() == 5
    # the other three are still open and reach the employee in the digest
    digest.enqueue_due_digests(app.engine, app.config, utcnow(), ignore_hour=True)
    app.outbox().deliver_due()
    assert smtp_sink.messages[-1]["Subject"] == "5 posts need your review"
