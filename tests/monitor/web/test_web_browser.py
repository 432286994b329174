"""The review page in a real browser: Debian's chromium driven by Playwright.

The page is served by uvicorn on a free loopback port; the fresh-link e-mail goes through a
real local SMTP server (``SmtpSink``). Screenshots of the main pages are saved to a temporary
folder, or to ``$SOCIAL_MONITOR_SCREENSHOTS``; the README's pictures come from the demo
(test_demo_screenshots.py).
"""

from __future__ import annotations

import re
from typing import Any

from browser_support import NEEDS_CHROMIUM, SCREENSHOTS
from playwright.sync_api import expect
from sqlmodel import Session, select
from web_helpers import World
from web_helpers import wait_for as _wait_for

from monitor.service.smtp_sink import SmtpSink
from monitor.storage.models import AuditEventRow, FindingRow

pytestmark = NEEDS_CHROMIUM




def _sign_in_by_email(page: Any, base: str, sink: SmtpSink) -> None:
    page.goto(f"{base}/signin")
    page.get_by_label("Your work e-mail address").fill("ann@example.com")
    page.get_by_role("button", name="E-mail me a sign-in link").click()
    page.get_by_text("a sign-in link is on its way").wait_for()
    _wait_for(lambda: len(sink.messages) == 1, "the sign-in e-mail")
    body = sink.messages[0].get_content()
    link = next(word for word in body.split() if word.startswith(f"{base}/signin?token="))
    page.goto(link)
    page.get_by_role("button", name="Continue to my review page").click()
    page.get_by_role("heading", name="Your open flags").wait_for()


def test_sign_in_by_mail_resolve_a_flag_and_change_settings(
    served: tuple[str, World], browser: Any, smtp_sink: SmtpSink
) -> None:
    base, world = served
    context = browser.new_context(viewport={"width": 1000, "height": 900},
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text)
            if "Content Security Policy" in m.text else None)

    # Given Ann signs in through a link e-mailed to her
    _sign_in_by_email(page, base, smtp_sink)
    flag = page.locator(f"#flag-{world.ann_flag}")
    assert flag.locator("mark").inner_text() == "total idiot"
    assert page.locator("article.flag").count() == 2
    page.screenshot(path=str(SCREENSHOTS / "test-review.png"), full_page=True)

    # The suggestion box copies with one click (the script is a file the CSP allows).
    flag.get_by_text("Help me write a correction, apology or notice").click()
    flag.get_by_role("button", name="Copy").first.click()
    # The clipboard answers asynchronously: wait for the status line (polls, no sleep).
    expect(flag.locator(".copied").first).to_have_text(re.compile(r"^(Copied\.|Selected: )"))

    # When she says she deleted the post
    flag.get_by_role("button", name="I deleted it").click()
    page.get_by_text("The flag is closed").wait_for()

    # Then it is gone from the page, and the database and the audit trail say so
    assert page.locator(f"#flag-{world.ann_flag}").count() == 0
    assert page.locator("article.flag").count() == 1
    with Session(world.app.engine) as s:
        finding = s.get(FindingRow, world.ann_flag)
        assert finding is not None and finding.resolution == "deleted"
        events = s.exec(select(AuditEventRow).where(AuditEventRow.action == "review.deleted")).all()
        assert [e.subject for e in events] == [f"finding:{world.ann_flag}"]

    # Settings: change the digest hour, keyboard-reachable and labelled
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Send my digest at").select_option("18")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your settings are saved.").wait_for()
    assert page.get_by_label("Send my digest at").input_value() == "18"
    page.screenshot(path=str(SCREENSHOTS / "settings.png"), full_page=True)

    page.get_by_role("link", name="History").click()
    page.get_by_role("heading", name="History").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "history.png"), full_page=True)
    assert csp_errors == []
    context.close()


def test_phone_layout_and_keyboard(served: tuple[str, World], browser: Any,
                                   smtp_sink: SmtpSink) -> None:
    base, _world = served
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    _sign_in_by_email(page, base, smtp_sink)
    # Nothing wider than the screen.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.screenshot(path=str(SCREENSHOTS / "test-review-phone.png"), full_page=False)
    # The first Tab lands on the skip link, which is visible when focused.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    assert page.locator("a.skip").is_visible()
    context.close()
