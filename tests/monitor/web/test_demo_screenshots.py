"""The README's pictures, taken from the demo (``social-monitor demo``) in a real browser.

``SOCIAL_MONITOR_SCREENSHOTS=docs/screenshots pytest tests/monitor/web/test_demo_screenshots.py``
refreshes review.png, review-phone.png and digest.png; otherwise they go to a temporary
folder. The test also checks what the pictures must show: several categories on one page,
each card citing its rule, and no credential in clear.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from browser_support import NEEDS_CHROMIUM, SCREENSHOTS
from web_helpers import serving

from monitor.service.demo import open_demo_app, run_demo
from monitor.service.smtp_sink import SmtpSink, free_port
from monitor.web import create_app

pytestmark = NEEDS_CHROMIUM

CHEN = "chen@example.com"  # the demo employee whose posts touch the most categories


def test_demo_review_page_and_digest_as_the_readme_shows_them(tmp_path: Path,
                                                               browser: Any) -> None:
    result = run_demo(tmp_path / "demo")
    token = result.signin_links[CHEN].split("token=", 1)[1]
    port = free_port()
    with SmtpSink() as sink:
        app = open_demo_app(result.folder, sink)
        try:
            with serving(create_app(app), port):
                for name, viewport in (("review.png", {"width": 1000, "height": 900}),
                                       ("review-phone.png", {"width": 390, "height": 844})):
                    page = browser.new_page(viewport=viewport)
                    page.goto(f"http://127.0.0.1:{port}/signin?token={token}")
                    page.get_by_role("button", name="Continue to my review page").click()
                    page.get_by_role("heading", name="Your open flags").wait_for()
                    text = page.inner_text("main")
                    for words in ("Password or access key", "Comment on a legal matter",
                                  "Confidential work information", "What to do:", "Rule 4"):
                        assert words in text, (name, words)
                    assert "Tr0ub4dor-x9q" not in text
                    assert "Wording not assessed" not in text
                    page.screenshot(path=str(SCREENSHOTS / name), full_page=name == "review.png")
                    page.close()
                    # a sign-in link works once: ask for another for the next picture
                    token = _fresh_token(app, CHEN)
        finally:
            app.engine.dispose()
    digest = _digest_html(result.mail_folder, CHEN)
    page = browser.new_page(viewport={"width": 390, "height": 900})
    page.route("**/*", lambda route: route.abort()
               if not route.request.url.startswith("file:") else route.continue_())
    html = tmp_path / "digest.html"
    html.write_text(digest)
    page.goto(html.as_uri())
    assert "Tr0ub4dor-x9q" not in page.inner_text("body")
    page.screenshot(path=str(SCREENSHOTS / "digest.png"), full_page=True)
    page.close()


def _fresh_token(app: Any, email: str) -> str:
    from monitor.alerts.links import make_token
    from monitor.people.employees import get_employee
    from monitor.storage.db import session_scope

    with session_scope(app.engine) as s:
        return make_token(app.config, get_employee(s, email).id or 0)


def _digest_html(folder: Path, email: str) -> str:
    for eml in sorted(folder.glob("*.eml")):
        msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
        if str(msg["To"]) == email and "your review" in str(msg["Subject"]):
            body = msg.get_body(("html",))  # type: ignore[attr-defined]
            assert body is not None
            return str(body.get_content())
    raise AssertionError(f"no digest for {email} in {folder}")
