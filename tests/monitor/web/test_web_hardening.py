"""The review page over real HTTP (uvicorn on loopback): sessions end at sign-out, bad ids are
404, unsubscribe links outlive sign-in links.

httpx talks to the served page as a browser or a mail client would, so cookies, status codes
and dropped connections are the server's own, not an in-process test client's.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlmodel import Session
from web_helpers import World, csrf_from

from monitor.alerts import links
from monitor.alerts.links import make_token
from monitor.app import App
from monitor.storage.models import EmployeeRow

_OPEN: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def _client(base: str, cookies: dict[str, str] | None = None) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=10, cookies=cookies)
    _OPEN.append(client)
    return client


def _signed_in(base: str, app: App, employee_id: int) -> httpx.Client:
    client = _client(base)
    token = make_token(app.config, employee_id)
    page = client.get("/signin", params={"token": token})
    r = client.post("/signin", data={"token": token, "csrf_token": csrf_from(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/"
    return client


def _with_cookie(base: str, cookie: str) -> httpx.Client:
    """A second client that only has a copy of the cookie (another device, a thief)."""
    return _client(base, cookies={"sm_session": cookie})


def _version(app: App, employee_id: int) -> int:
    with Session(app.engine) as s:
        emp = s.get(EmployeeRow, employee_id)
        assert emp is not None
        return emp.session_version


def test_a_cookie_saved_before_sign_out_opens_nothing_after(served: tuple[str, World]) -> None:
    base, world = served
    client = _signed_in(base, world.app, world.ann)
    saved = client.cookies["sm_session"]
    with _with_cookie(base, saved) as copy:
        assert copy.get("/").status_code == 200
        assert copy.get("/export").status_code == 200
    # When: she signs out in her own browser
    token = csrf_from(client.get("/").text)
    assert client.post("/signout", data={"csrf_token": token}).status_code == 303
    # Then: the copy saved before opens neither the page nor the export
    with _with_cookie(base, saved) as copy:
        for path in ("/", "/export", "/history", f"/flags/{world.ann_flag}"):
            r = copy.get(path)
            assert r.status_code == 303 and r.headers["location"] == "/signin", path
        # and replaying it cannot sign her out of a later session either
        assert copy.post("/signout", data={"csrf_token": token}).status_code in (303, 403)
    assert _version(world.app, world.ann) == 1
    # A fresh sign-in works, and Bob was never affected.
    again = _signed_in(base, world.app, world.ann)
    assert again.get("/").status_code == 200
    assert _version(world.app, world.bob) == 0


def test_a_cookie_saved_before_opt_out_opens_nothing_after(served: tuple[str, World]) -> None:
    base, world = served
    client = _signed_in(base, world.app, world.ann)
    saved = client.cookies["sm_session"]
    token = csrf_from(client.get("/opt-out").text)
    r = client.post("/opt-out", data={"csrf_token": token, "confirm": "yes"})
    assert r.status_code == 200
    with _with_cookie(base, saved) as copy:
        assert copy.get("/export").status_code == 303
        assert copy.get("/").status_code == 303


def test_flag_ids_that_name_nothing_are_404_not_500(served: tuple[str, World]) -> None:
    base, world = served
    client = _signed_in(base, world.app, world.ann)
    csrf = csrf_from(client.get("/").text)
    for bad in ("99999999999999999999999", str(2**63), str(2**63 - 1), "0", "-1", "abc",
                "1e3", str(world.bob_flag)):
        r = client.get(f"/flags/{bad}")
        assert r.status_code == 404, bad
        assert "nothing here" in r.text.lower() or "no such flag" in r.text.lower(), bad
        r = client.post(f"/flags/{bad}", data={"csrf_token": csrf, "action": "deleted"})
        assert r.status_code == 404, bad
    # The connection was not reset: the same client goes on.
    assert client.get(f"/flags/{world.ann_flag}").status_code == 200


def _token_made_days_ago(app: App, employee_id: int, purpose: str, days: int) -> str:
    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return super().get_timestamp() - days * 86400

    serializer = URLSafeTimedSerializer(links.secret_key(app.config), salt=links._SALT,
                                        signer=PastSigner)
    return str(serializer.dumps({"e": employee_id, "p": purpose, "n": "0123456789abcdef"}))


def test_an_old_digests_unsubscribe_link_still_works_a_sign_in_link_does_not(
    served: tuple[str, World],
) -> None:
    base, world = served
    old_unsubscribe = _token_made_days_ago(world.app, world.ann, "unsubscribe", 400)
    old_signin = _token_made_days_ago(world.app, world.ann, "signin", 4)
    with _client(base) as mail_client:
        assert mail_client.get("/signin", params={"token": old_signin}).status_code == 400
        # RFC 8058 one-click: a POST with this body and no cookie
        r = mail_client.post(f"/unsubscribe?token={old_unsubscribe}",
                             content=b"List-Unsubscribe=One-Click",
                             headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 200
        # Still unforgeable: one character changed in the signature is refused.
        forged = old_unsubscribe[:-1] + ("A" if old_unsubscribe[-1] != "A" else "B")
        assert mail_client.post(f"/unsubscribe?token={forged}").status_code == 400
        # and a sign-in token does not unsubscribe anyone (nor the reverse)
        fresh_signin = make_token(world.app.config, world.bob)
        assert mail_client.post(f"/unsubscribe?token={fresh_signin}").status_code == 400
        assert mail_client.get("/signin", params={"token": old_unsubscribe}).status_code == 400
    with Session(world.app.engine) as s:
        ann, bob = s.get(EmployeeRow, world.ann), s.get(EmployeeRow, world.bob)
        assert ann is not None and ann.digest_unsubscribed
        assert bob is not None and not bob.digest_unsubscribed
