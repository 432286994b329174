"""Access control on the review page: sign-in links, sessions, scoping, CSRF, headers."""

from __future__ import annotations

import dataclasses
import logging
import re

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlmodel import Session, select
from web_helpers import ANN_TEXT, BOB_TEXT, NOW, World, csrf_from, sign_in

from monitor.alerts import links
from monitor.alerts.links import make_token
from monitor.app import App
from monitor.storage.models import AuditEventRow, FindingRow, UsedTokenRow
from monitor.web import create_app

PRIVATE_PAGES = ["/", "/history", "/settings", "/export", "/opt-out", "/flags/1"]


@pytest.mark.parametrize("path", PRIVATE_PAGES)
def test_private_pages_send_strangers_to_sign_in(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 303
    assert r.headers["location"] == "/signin"


def test_another_employees_flag_is_not_found_and_cannot_be_resolved(
    client: TestClient, world: World
) -> None:
    # Given Ann is signed in
    sign_in(client, world.app, world.ann)
    # When she reads, then tries to resolve, Bob's flag by its id
    page = client.get(f"/flags/{world.bob_flag}")
    token = csrf_from(client.get("/").text)
    post = client.post(f"/flags/{world.bob_flag}",
                       data={"action": "deleted", "csrf_token": token})
    # Then both are 404, Bob's post never shows, and his flag is untouched
    assert page.status_code == 404 and post.status_code == 404
    assert "4111 1111" not in page.text + post.text  # (a random CSRF token may hold "4111")
    assert BOB_TEXT not in client.get("/").text
    with Session(world.app.engine) as s:
        bob = s.get(FindingRow, world.bob_flag)
        assert bob is not None and bob.status == "open"
    assert client.get(f"/flags/{world.ann_flag}").status_code == 200


def test_review_page_shows_own_flags_newest_first_with_highlight(
    client: TestClient, world: World
) -> None:
    sign_in(client, world.app, world.ann)
    html = client.get("/").text
    assert "<mark>total idiot</mark>" in html
    assert html.index(f'id="flag-{world.ann_flag}"') < html.index(f'id="flag-{world.ann_old_flag}"')
    assert "Very likely a problem" in html and "Likely a problem" in html
    assert "Wording not assessed (language: de)" in html
    assert "Rule 1: Do not post anything" in html
    assert 'href="https://social.example/a1"' in html


def test_sign_in_link_works_once(client: TestClient, world: World,
                                 make_app: object) -> None:
    token = make_token(world.app.config, world.ann)
    first = client.get("/signin", params={"token": token})
    assert first.status_code == 200  # opening the link does not spend it (mail scanners)
    assert client.post("/signin", data={"token": token,
                                         "csrf_token": csrf_from(first.text)}).status_code == 303
    # A second browser with the same link is refused, on GET and on POST.
    api = create_app(world.app, clock=lambda: NOW)
    with TestClient(api, follow_redirects=False) as other:
        again = other.get("/signin", params={"token": token})
        assert again.status_code == 400 and "already been used" in again.text
        csrf = csrf_from(again.text)
        post = other.post("/signin", data={"token": token, "csrf_token": csrf})
        assert post.status_code == 400
        assert other.get("/").status_code == 303
    with Session(world.app.engine) as s:
        spent = s.exec(select(UsedTokenRow)).all()
        assert len(spent) == 1 and token not in spent[0].nonce_hash
        assert s.exec(select(AuditEventRow).where(AuditEventRow.action == "web.signin")).first()


def _old_token(app: App, employee_id: int, purpose: str, hours_ago: int) -> str:
    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return super().get_timestamp() - hours_ago * 3600

    serializer = URLSafeTimedSerializer(links.secret_key(app.config), salt=links._SALT,
                                        signer=PastSigner)
    return str(serializer.dumps({"e": employee_id, "p": purpose, "n": "abc"}))


def test_expired_forged_and_misused_links_are_refused(client: TestClient, world: World) -> None:
    ttl = world.app.config.settings.review.link_ttl_hours
    cases = {
        "expired": _old_token(world.app, world.ann, "signin", ttl + 1),
        "forged": make_token(world.app.config, world.ann)[:-3] + "xyz",
        "wrong purpose": make_token(world.app.config, world.ann, "unsubscribe"),
        "compliance": make_token(world.app.config, 0, "compliance"),
    }
    for name, token in cases.items():
        page = client.get("/signin", params={"token": token})
        assert page.status_code == 400, name
        post = client.post("/signin", data={"token": token, "csrf_token": csrf_from(page.text)})
        assert post.status_code == 400, name
        assert client.get("/").status_code == 303, name
    assert "expired" in client.get("/signin", params={"token": cases["expired"]}).text
    # Still inside its lifetime: fine.
    fresh = _old_token(world.app, world.ann, "signin", ttl - 1)
    assert client.get("/signin", params={"token": fresh}).status_code == 200


def test_forms_without_the_right_csrf_token_are_refused(client: TestClient, world: World) -> None:
    sign_in(client, world.app, world.ann)
    # A token from another visitor's session does not fit this one.
    api = create_app(world.app, clock=lambda: NOW)
    with TestClient(api) as stranger:
        foreign = csrf_from(stranger.get("/signin").text)
    for data in ({"action": "deleted"}, {"action": "deleted", "csrf_token": foreign},
                 {"action": "deleted", "csrf_token": ""}):
        r = client.post(f"/flags/{world.ann_flag}", data=data)
        assert r.status_code in (400, 403), data
    for path, data in (("/settings", {"digest_hour": "7", "timezone": "UTC"}),
                       ("/settings/pause", {"paused": "yes"}),
                       ("/opt-out", {"confirm": "yes"}),
                       ("/signout", {}),
                       ("/link", {"email": "ann@example.com"})):
        assert client.post(path, data={**data, "csrf_token": foreign}).status_code == 403, path
    with Session(world.app.engine) as s:
        ann = s.get(FindingRow, world.ann_flag)
        assert ann is not None and ann.status == "open"
    assert client.get("/").status_code == 200  # still signed in, nothing changed


@pytest.mark.parametrize("path", ["/", "/signin", "/nowhere", "/static/style.css", "/healthz",
                                  "/compliance", "/unsubscribe"])
def test_security_headers_on_every_answer(client: TestClient, world: World, path: str) -> None:
    sign_in(client, world.app, world.ann)
    h = client.get(path).headers
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert "script-src 'self'" in h["content-security-policy"]
    assert "unsafe-inline" not in h["content-security-policy"]
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "no-referrer"
    assert h["x-content-type-options"] == "nosniff"


def test_pages_carry_no_inline_script(client: TestClient, world: World) -> None:
    sign_in(client, world.app, world.ann)
    for path in ("/", "/history", "/settings", "/signin"):
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert " on" + "click=" not in html


def test_session_cookie_is_httponly_lax_and_secure_behind_https(
    client: TestClient, world: World
) -> None:
    cookie = client.get("/signin").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    settings = world.app.config.settings
    https = settings.model_copy(update={
        "review": settings.review.model_copy(update={"base_url": "https://review.example"})
    })
    app = App(dataclasses.replace(world.app.config, settings=https), world.app.engine)
    with TestClient(create_app(app), base_url="https://testserver") as secure_client:
        r = secure_client.get("/signin")
        assert "Secure" in r.headers["set-cookie"]
        assert "max-age" in r.headers["strict-transport-security"]


def test_a_tampered_session_cookie_signs_nobody_in(client: TestClient, world: World) -> None:
    sign_in(client, world.app, world.ann)
    value = client.cookies["sm_session"]
    client.cookies.clear()  # replace the cookie, not add a second one beside it
    client.cookies.set("sm_session", value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert client.get("/").status_code == 303


def test_sign_out_ends_the_session(client: TestClient, world: World) -> None:
    sign_in(client, world.app, world.ann)
    token = csrf_from(client.get("/").text)
    assert client.get("/signin").headers["location"] == "/"  # signed in: straight to the page
    assert client.post("/signout", data={"csrf_token": token}).status_code == 303
    assert client.get("/").status_code == 303
    assert client.get("/signin").status_code == 200
    with Session(world.app.engine) as s:
        [event] = s.exec(select(AuditEventRow).where(AuditEventRow.action == "web.signout")).all()
        assert event.actor == f"employee:{world.ann}"


def test_no_post_text_or_token_in_the_logs(client: TestClient, world: World,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    token = make_token(world.app.config, world.ann)
    page = client.get("/signin", params={"token": token})
    client.post("/signin", data={"token": token, "csrf_token": csrf_from(page.text)})
    home = client.get("/")
    done = client.post(f"/flags/{world.ann_flag}", data={"action": "not_a_problem",
                                                          "comment": "just a joke",
                                                          "csrf_token": csrf_from(home.text)})
    assert done.status_code == 303
    # The server's own lines (the test's HTTP client logs its requests too, token and all).
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "GET /signin 200" in logged
    assert token not in logged and ANN_TEXT not in logged and "idiot" not in logged
    assert "just a joke" not in logged
