"""The HTML digest in a real browser: Debian's chromium, driven by Playwright.

The digest is written by ``digest.preview`` (the code behind ``digest preview EMAIL``) from
flags found by a real poll, then opened in chromium at a phone width (390 px) and a desktop
width (800 px): its text is there, nothing sticks out sideways, and the button links to the
review page. The screenshot (test-digest.png) goes to a temporary folder, or to
``$SOCIAL_MONITOR_SCREENSHOTS``; the README's pictures come from test_demo_screenshots.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browser_support import NEEDS_CHROMIUM, SCREENSHOTS

from monitor.alerts import digest
from monitor.app import App
from monitor.clock import utcnow
from monitor.people import employees
from monitor.storage.db import session_scope

pytestmark = NEEDS_CHROMIUM

TOKEN = "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"  # a valid checksum (made up)
LONG_URL = "https://intranet.example.com/" + "/".join(["quarterly-numbers-draft"] * 6)
POSTS = [
    "Big news: our client Acme Corp signed with us today, more soon!",
    f"Deploy went fine, the new key is {TOKEN} if anyone needs it {LONG_URL}",
    "Call Jane on +44 20 7946 0958 or write to jane.doe@example.org about the refund",
    "Lovely hike in the Alps this weekend, legs still hurting",
]


@pytest.fixture
def digest_html(make_app: Callable[..., App], tmp_path: Path) -> tuple[Path, str]:
    app = make_app(None)
    posts = tmp_path / "alice.jsonl"
    posts.write_text("".join(
        json.dumps({"id": str(i), "text": t, "created_at": "2026-11-21T09:00:00Z",
                    "url": f"https://social.example/alice/{i}"}) + "\n"
        for i, t in enumerate(POSTS)))
    with session_scope(app.engine) as s:
        employees.add_employee(s, "alice@example.com", "Alice Martin", "Europe/Paris")
        employees.opt_in(s, "alice@example.com")
        employees.link_account(s, "alice@example.com", "file", str(posts))
    app.poller().poll_due()
    with session_scope(app.engine) as s:
        alice = employees.employee_info(s, "alice@example.com")
    result = digest.preview(app.engine, app.config, alice, tmp_path / "preview", utcnow())
    assert result is not None
    return result.html, result.subject




def test_the_digest_is_readable_on_a_phone_and_a_desktop(
    digest_html: tuple[Path, str], browser: Any
) -> None:
    html, subject = digest_html
    assert subject == "3 posts need your review"
    for width in (390, 800):
        page = browser.new_page(viewport={"width": width, "height": 900})
        # An e-mail client shows the HTML part on its own: no network, no scripts needed.
        page.route("**/*", lambda route: route.abort()
                   if not route.request.url.startswith("file:") else route.continue_())
        page.goto(html.as_uri())
        text = page.inner_text("body")
        for expected in ("Hello Alice Martin", "3 of your public posts may need a second look",
                         "Acme Corp", "Rule 4", "What to do:", "personal data",
                         "The link signs you in and expires"):
            assert expected in text, (width, expected)
        assert TOKEN not in text and "gh••••" in text  # a credential is shown masked
        # nothing wider than the screen: no sideways scrolling on a phone
        overflow = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert overflow[0] <= overflow[1], (width, overflow)
        button = page.get_by_role("link", name="Review them")
        assert button.is_visible()
        assert "/signin?token=" in (button.get_attribute("href") or "")
        box = button.bounding_box()
        assert box is not None and box["height"] >= 30 and box["x"] + box["width"] <= width
        # the flagged words stand out
        assert page.locator("mark").count() >= 3
        if width == 390:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "test-digest.png"), full_page=True)
        page.close()
    assert (SCREENSHOTS / "test-digest.png").stat().st_size > 10_000
