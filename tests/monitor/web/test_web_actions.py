"""What a signed-in employee does on the page, and the ways in without a session."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select
from web_helpers import ANN_TEXT, BOB_TEXT, NOW, TestClient, World, csrf_from, sign_in

from monitor.alerts.links import make_token
from monitor.app import App
from monitor.policy import Escalation
from monitor.review.compliance_links import create_link
from monitor.service.smtp_sink import SmtpSink
from monitor.storage.models import (
    AlertRow,
    AuditEventRow,
    EmployeeRow,
    FindingRow,
    PostRow,
    ReviewRow,
    SuppressionRow,
)
from monitor.web import create_app


def _audit(app: App, action: str) -> list[AuditEventRow]:
    with Session(app.engine) as s:
        return list(s.exec(select(AuditEventRow).where(AuditEventRow.action == action)))


@pytest.mark.parametrize(
    ("action", "status", "resolution"),
    [
        ("deleted", "resolved", "deleted"),
        ("edited", "resolved", "edited"),
        ("apologized", "resolved", "apologized"),
        ("not_a_problem", "resolved", "not_a_problem"),
        ("remind_later", "open", None),
    ],
)
def test_each_action_closes_or_snoozes_the_flag_and_is_audited(
    client: TestClient, world: World, action: str, status: str, resolution: str | None
) -> None:
    # Given Ann signed in, with a pending alert for her newest flag
    with Session(world.app.engine) as s:
        s.add(AlertRow(employee_id=world.ann, finding_id=world.ann_flag, kind="immediate",
                    dedupe_key="k", next_attempt_at=NOW, created_at=NOW))
        s.commit()
    sign_in(client, world.app, world.ann)
    # When she answers it
    r = client.post(f"/flags/{world.ann_flag}", data={
        "action": action, "comment": "satire", "csrf_token": csrf_from(client.get("/").text)})
    # Then the flag leaves the page, the database says so, and the audit line exists
    assert r.status_code == 303 and r.headers["location"] == f"/?done={action}"
    page = client.get(r.headers["location"]).text
    assert f'id="flag-{world.ann_flag}"' not in page
    assert f'id="flag-{world.ann_old_flag}"' in page
    with Session(world.app.engine) as s:
        f = s.get(FindingRow, world.ann_flag)
        assert f is not None and (f.status, f.resolution) == (status, resolution)
        [review] = s.exec(select(ReviewRow)).all()
        assert (review.action, review.comment, review.employee_id) == (action, "satire", world.ann)
        alert = s.exec(select(AlertRow)).one()
        assert alert.status == ("queued" if action == "remind_later" else "cancelled")
        supp = s.exec(select(SuppressionRow)).all()
    [event] = _audit(world.app, f"review.{action}")
    assert event.subject == f"finding:{world.ann_flag}" and event.actor == f"employee:{world.ann}"
    assert "satire" not in event.detail
    if action == "not_a_problem":  # the classifier's feedback: this text+rule stays quiet
        assert [(x.content_hash, x.rule, x.employee_id) for x in supp] == [
            ("hash-a1", "1", world.ann)]
    else:
        assert supp == []
    if action == "remind_later":
        assert "1 post will come back later" in page
        # A day later it is back.
        later = create_app(world.app, clock=lambda: NOW + timedelta(days=1, minutes=1))
        with TestClient(later, follow_redirects=False) as c2:
            sign_in(c2, world.app, world.ann)
            assert f'id="flag-{world.ann_flag}"' in c2.get("/").text


def test_an_unknown_action_or_a_resolved_flag_is_refused(client: TestClient,
                                                          world: World) -> None:
    sign_in(client, world.app, world.ann)
    token = csrf_from(client.get("/").text)
    url = f"/flags/{world.ann_flag}"
    assert client.post(url, data={"action": "ignore", "csrf_token": token}).status_code == 400
    assert client.post(url, data={"action": "deleted", "csrf_token": token}).status_code == 303
    assert client.post(url, data={"action": "edited", "csrf_token": token}).status_code == 400


def test_suggestions_fit_the_category_and_never_quote_the_post(client: TestClient,
                                                                world: World) -> None:
    sign_in(client, world.app, world.ann)
    html = client.get("/").text
    harmful = html[html.index(f'id="flag-{world.ann_flag}"'):
                   html.index(f'id="flag-{world.ann_old_flag}"')]
    assert "Apology" in harmful and 'data-copy="suggest-' in harmful
    confidential = html[html.index(f'id="flag-{world.ann_old_flag}"'):]
    assert "Deletion notice" in confidential


def test_history_lists_open_and_resolved_flags(client: TestClient, world: World) -> None:
    sign_in(client, world.app, world.ann)
    client.post(f"/flags/{world.ann_flag}", data={
        "action": "apologized", "csrf_token": csrf_from(client.get("/").text)})
    html = client.get("/history").text
    assert "I apologized / corrected it publicly" in html and "Open" in html
    assert ANN_TEXT not in html and "4111 1111" not in html  # (a random CSRF token may hold "4111")
    # every row leads to its flag's page, and so does each card on the review page
    for flag in (world.ann_flag, world.ann_old_flag):
        assert f'href="/flags/{flag}"' in html
    assert f'href="/flags/{world.ann_old_flag}"' in client.get("/").text
    assert client.get(f"/flags/{world.ann_flag}").status_code == 200  # a resolved one too


def test_the_time_zone_is_picked_from_a_list_and_an_alias_is_kept(client: TestClient,
                                                                   world: World) -> None:
    sign_in(client, world.app, world.ann)
    html = client.get("/settings").text
    assert '<select id="timezone" name="timezone"' in html
    assert '<option value="Europe/Paris" selected>Europe/Paris</option>' in html
    assert '<optgroup label="America">' in html and "US/Eastern" not in html
    with Session(world.app.engine) as s:  # an employee added with a legacy alias
        ann = s.get(EmployeeRow, world.ann)
        assert ann is not None
        ann.timezone = "US/Eastern"
        s.add(ann)
        s.commit()
    html = client.get("/settings").text
    assert '<option value="US/Eastern" selected>US/Eastern</option>' in html


def test_settings_change_hour_zone_and_digest(client: TestClient, world: World) -> None:
    sign_in(client, world.app, world.ann)
    token = csrf_from(client.get("/settings").text)
    r = client.post("/settings", data={"digest_hour": "18", "timezone": "America/New_York",
                                       "csrf_token": token})
    assert r.status_code == 303
    bad = client.post("/settings", data={"digest_hour": "18", "timezone": "Mars/Olympus",
                                         "csrf_token": token})
    assert bad.status_code == 400 and "not a known time zone" in bad.text
    assert client.post("/settings", data={"digest_hour": "25", "timezone": "UTC",
                                          "csrf_token": token}).status_code == 400
    with Session(world.app.engine) as s:
        ann = s.get(EmployeeRow, world.ann)
        assert ann is not None
        assert (ann.digest_hour, ann.timezone, ann.digest_unsubscribed) == (
            18, "America/New_York", True)
    assert len(_audit(world.app, "settings.update")) == 1


def test_pause_and_resume(client: TestClient, world: World) -> None:
    sign_in(client, world.app, world.ann)
    token = csrf_from(client.get("/settings").text)
    client.post("/settings/pause", data={"paused": "yes", "csrf_token": token})
    assert "Resume monitoring" in client.get("/settings").text
    client.post("/settings/pause", data={"paused": "no", "csrf_token": token})
    with Session(world.app.engine) as s:
        ann = s.get(EmployeeRow, world.ann)
        assert ann is not None and ann.paused is False
    assert [len(_audit(world.app, a)) for a in ("employee.pause", "employee.resume")] == [1, 1]


def test_opt_out_needs_confirmation_then_erases_and_signs_out(client: TestClient,
                                                              world: World) -> None:
    sign_in(client, world.app, world.ann)
    token = csrf_from(client.get("/opt-out").text)
    assert client.post("/opt-out", data={"csrf_token": token}).status_code == 400
    done = client.post("/opt-out", data={"csrf_token": token, "confirm": "yes"})
    assert done.status_code == 200 and "Monitoring stopped" in done.text
    assert client.get("/").status_code == 303
    with Session(world.app.engine) as s:
        assert s.get(EmployeeRow, world.ann) is None  # the row itself is erased
        texts = [p.text for p in s.exec(select(PostRow))]
    assert texts == [BOB_TEXT]
    [event] = _audit(world.app, "employee.opt_out")  # counts only, not naming her
    assert event.actor == "employee (self)" and str(world.ann) not in event.subject
    # The old session cannot come back, nor can a link made before.
    assert client.get("/signin", params={"token": make_token(world.app.config, world.ann)}
                      ).status_code == 400


def test_export_has_everything_about_me_and_nothing_about_others(client: TestClient,
                                                                  world: World) -> None:
    sign_in(client, world.app, world.ann)
    r = client.get("/export")
    assert r.headers["content-type"] == "application/json"
    assert "attachment" in r.headers["content-disposition"]
    data = json.loads(r.text)
    assert data["employee"]["email"] == "ann@example.com"
    assert sorted(p["text"] for p in data["posts"]) == sorted([ANN_TEXT,
                                                               data["posts"][1]["text"]])
    assert {f["id"] for f in data["findings"]} == {world.ann_flag, world.ann_old_flag}
    assert BOB_TEXT not in r.text and "bob@example.com" not in r.text
    assert any(e["action"] == "web.signin" for e in data["audit"])
    assert len(_audit(world.app, "data.export")) == 1


def test_unsubscribe_is_one_click_without_a_session(client: TestClient, world: World) -> None:
    token = make_token(world.app.config, world.ann, "unsubscribe")
    page = client.get("/unsubscribe", params={"token": token})
    assert page.status_code == 200 and "Unsubscribe from the digest" in page.text
    with Session(world.app.engine) as s:
        ann = s.get(EmployeeRow, world.ann)
        assert ann is not None and not ann.digest_unsubscribed  # GET changes nothing
    # RFC 8058: the mail client POSTs the form body to the List-Unsubscribe URL, no cookies.
    api = create_app(world.app, clock=lambda: NOW)
    with TestClient(api) as mail_client:
        r = mail_client.post(f"/unsubscribe?token={token}",
                             content=b"List-Unsubscribe=One-Click",
                             headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200 and "no longer get the daily digest" in r.text
    with Session(world.app.engine) as s:
        ann = s.get(EmployeeRow, world.ann)
        assert ann is not None and ann.digest_unsubscribed
    assert len(_audit(world.app, "digest.unsubscribe")) == 1
    for bad in ("", make_token(world.app.config, world.ann), token[:-2] + "zz"):
        assert client.post(f"/unsubscribe?token={bad}").status_code == 400


def test_fresh_link_is_mailed_rate_limited_and_answers_the_same_for_strangers(
    client: TestClient, world: World, smtp_sink: SmtpSink
) -> None:
    token = csrf_from(client.get("/signin").text)
    known = client.post("/link", data={"email": " Ann@Example.com ", "csrf_token": token})
    unknown = client.post("/link", data={"email": "nobody@example.com", "csrf_token": token})
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    [mail] = smtp_sink.messages
    assert mail["To"] == "ann@example.com" and mail["Auto-Submitted"] == "auto-generated"
    body = mail.get_content()
    link = next(w for w in body.split() if "/signin?token=" in w)
    assert link.startswith(world.app.config.settings.review.base_url)
    # The mailed link signs in.
    page = client.get("/signin?" + link.split("?", 1)[1])
    assert page.status_code == 200
    # Three per hour per address; the fourth gets the same answer and no mail.
    for _ in range(3):
        client.post("/link", data={"email": "ann@example.com", "csrf_token": token})
    assert len(smtp_sink.messages) == 3
    assert len(_audit(world.app, "web.link_sent")) == 3


def _compliance_token(app: App) -> str:
    """A compliance link as `social-monitor compliance-link` makes it (recorded)."""
    return create_link(app.engine, app.config, NOW).url.split("token=", 1)[1]


def test_compliance_view_needs_its_own_link_and_shows_aggregates_only(
    client: TestClient, world: World
) -> None:
    assert client.get("/compliance").status_code == 403
    sign_in(client, world.app, world.ann)
    assert client.get("/compliance").status_code == 403  # an employee session is not enough
    bad = make_token(world.app.config, world.ann)  # a sign-in token is not a compliance one
    assert client.get("/compliance", params={"token": bad}).status_code == 403
    unrecorded = make_token(world.app.config, 0, "compliance")  # not made by the command
    assert client.get("/compliance", params={"token": unrecorded}).status_code == 403
    token = _compliance_token(world.app)
    r = client.get("/compliance", params={"token": token})
    assert r.status_code == 303 and r.headers["location"] == "/compliance"
    assert "Path=/compliance" in r.headers["set-cookie"]
    html = client.get("/compliance").text
    # Two employees only: every count is drawn from fewer than compliance.min_cell_size.
    assert "<dt>Flags</dt><dd>fewer than 5</dd>" in html
    assert "2026-W48" in html
    for private in (ANN_TEXT, BOB_TEXT, "ann@example.com", "bob@example.com", "Acme"):
        assert private not in html
    assert "Escalation is off" in html
    assert len(_audit(world.app, "compliance.view")) == 1


def test_compliance_escalation_shows_old_serious_flags_and_is_audited(world: World) -> None:
    policy = world.app.config.policy.model_copy(
        update={"escalation": Escalation(enabled=True, after_days=3)})
    app = App(dataclasses.replace(world.app.config, policy=policy), world.app.engine)
    later = NOW + timedelta(days=4)
    with TestClient(create_app(app, clock=lambda: later), follow_redirects=False) as c:
        c.get("/compliance", params={"token": _compliance_token(app)})
        html = c.get("/compliance").text
    assert "bob@example.com" in html and "ann@example.com" in html
    assert BOB_TEXT not in html and ANN_TEXT not in html
    assert "https://social.example" not in html  # who and which rule, never the post
    [event] = _audit(app, "compliance.escalation_view")
    assert "shown=3" in event.detail
