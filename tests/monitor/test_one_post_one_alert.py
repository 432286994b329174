"""One post, one card, one alert; one masking rule in every channel.

A post holding a phone number and an e-mail address has two findings. The employee gets one
immediate e-mail naming the category, the digest counts one post, the review page shows one
card with both reasons and resolving it once closes both. Neither value appears in clear in
any channel: not in the e-mail bytes as the SMTP server received them, not on the page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from monitor.alerts import digest
from monitor.alerts.links import make_token
from monitor.alerts.spans import Segment, segments, window
from monitor.app import App
from monitor.clock import utcnow
from monitor.people import employees
from monitor.service.smtp_sink import SmtpSink
from monitor.storage.db import session_scope
from monitor.storage.models import AlertRow, FindingRow
from monitor.web import create_app

PHONE = "+44 20 7946 0958"
ADDRESS = "jane.doe@mailbox.co.uk"  # example.org is a documentation domain: not flagged
TEXT = f"Call our customer Jane on {PHONE} or write to {ADDRESS} about her refund"


def _alice(app: App, tmp_path: Path) -> int:
    posts = tmp_path / "alice.jsonl"
    posts.write_text(json.dumps({"id": "1", "text": TEXT, "created_at": "2026-11-21T09:00:00Z",
                                 "url": "https://social.example/p/1"}) + "\n")
    with session_scope(app.engine) as s:
        emp = employees.add_employee(s, "alice@example.com", "Alice", "Europe/Paris")
        employees.opt_in(s, "alice@example.com")
        employees.link_account(s, "alice@example.com", "file", str(posts))
        return emp.id or 0


def _csrf(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_a_post_with_two_findings_is_one_alert_one_card_resolved_once(
    db_url: str, make_app: Callable[..., App], smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    app = make_app(db_url)
    alice = _alice(app, tmp_path)
    app.poller().poll_due()
    with Session(app.engine) as s:
        findings = s.exec(select(FindingRow)).all()
        assert sorted(f.kind for f in findings) == ["email", "phone"]
        assert len(s.exec(select(AlertRow).where(AlertRow.channel == "email")).all()) == 1
    assert app.outbox().deliver_due().sent == 1
    [msg] = smtp_sink.messages
    assert msg["Subject"] == "Possible customer or personal data in your exported post"
    body = msg.get_body(("plain",))
    assert body is not None and body.get_content().count("Why:") == 2  # both reasons, one mail
    # The digest counts one post, and so does `digest send --dry-run`.
    now = utcnow()
    [due] = digest.due_report(app.engine, now)
    assert (due.email, due.open_posts) == ("alice@example.com", 1)
    assert digest.enqueue_due_digests(app.engine, app.config, now, ignore_hour=True) == 1
    assert app.outbox().deliver_due(now=now).sent == 1
    assert smtp_sink.messages[1]["Subject"] == "1 post needs your review"
    # No value in clear on the wire, in any part of either mail.
    for wire in smtp_sink.raw:
        for value in (PHONE, ADDRESS, "7946 0958", "jane.doe"):
            assert value.encode() not in wire, value
    # The page: one card with both reasons, no value in clear; resolved once, both close.
    api = create_app(app, clock=utcnow)
    with TestClient(api, follow_redirects=False) as client:
        token = make_token(app.config, alice)
        page = client.get("/signin", params={"token": token})
        client.post("/signin", data={"token": token, "csrf_token": _csrf(page.text)})
        page = client.get("/")
        assert "1 post may need a second look" in page.text
        assert page.text.count('class="card flag"') == 1
        assert page.text.count("<dt>Why</dt>") == 2
        # each reason says what was found, in plain words (issue 16: kinds on the page)
        assert "Personal data: phone number" in page.text
        assert "Personal data: e-mail address" in page.text
        assert PHONE not in page.text and ADDRESS not in page.text
        flag_id = max(f.id or 0 for f in findings if f.score == max(x.score for x in findings))
        r = client.post(f"/flags/{flag_id}",
                        data={"csrf_token": _csrf(page.text), "action": "edited"})
        assert r.status_code == 303
        assert "Nothing to review" in client.get("/").text
    with Session(app.engine) as s:
        assert {f.status for f in s.exec(select(FindingRow)).all()} == {"resolved"}


@pytest.mark.parametrize(("category", "shown"), [
    ("personal_data", "4111 **** **** 1111"),
    ("credentials", "gh••••"),
    ("harmful", "idiot"),
    ("confidential", "Falcon"),
])
def test_one_masking_rule(category: str, shown: str) -> None:
    class F:
        def __init__(self, start: int, end: int, category: str, masked: str) -> None:
            self.start, self.end, self.category, self.masked = start, end, category, masked

    words = {"personal_data": "4111 1111 1111 1111", "credentials": "ghp_abc",
             "harmful": "idiot", "confidential": "Falcon"}[category]
    text = f"before {words} after"
    parts = segments(text, [F(7, 7 + len(words), category, shown)])
    assert parts == (Segment("before "), Segment(shown, marked=True,
                                                  masked=category in ("personal_data",
                                                                      "credentials")),
                     Segment(" after"))
    if category in ("personal_data", "credentials"):
        assert words not in "".join(p.text for p in parts)


def test_overlapping_findings_are_one_mark_and_a_masked_one_wins() -> None:
    class F:
        def __init__(self, start: int, end: int, category: str, masked: str) -> None:
            self.start, self.end, self.category, self.masked = start, end, category, masked

    text = "mail jane.doe@example.org now"
    parts = segments(text, [F(5, 25, "personal_data", "j•••@example.org"),
                            F(5, 13, "confidential", "jane.doe")])
    assert [p.text for p in parts] == ["mail ", "j•••@example.org", " now"]
    assert segments(None, [F(5, 25, "personal_data", "j•••")]) == (
        Segment("j•••", marked=True, masked=True),)


def test_an_e_mail_window_keeps_the_marks_and_cuts_long_plain_runs() -> None:
    parts = (Segment("a" * 100), Segment("X", marked=True), Segment("b" * 300),
             Segment("Y", marked=True), Segment("c" * 100))
    cut = window(parts, 10)
    assert [p.text for p in cut] == ["…" + "a" * 10, "X", "b" * 10 + " … " + "b" * 10, "Y",
                                     "c" * 10 + "…"]
