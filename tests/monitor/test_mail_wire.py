"""E-mails as the SMTP server receives them: the bytes of DATA, not Python's parsed message.

A post's URL comes from the network, so it can be ``javascript:``; the alert and the digest
must never carry it as a link. The digest's List-Unsubscribe header must be the raw
``<https://...>`` of RFC 2369/8058, which the default e-mail policy would RFC 2047-encode.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.alerts import digest
from monitor.app import App
from monitor.clock import utcnow
from monitor.people import employees
from monitor.service.smtp_sink import SmtpSink
from monitor.storage.db import session_scope

HOSTILE_URLS = [
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "https:alert(1)",
]


def _unfolded_headers(raw: bytes) -> dict[str, str]:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("ascii")
    unfolded = re.sub(r"\r?\n[ \t]+", " ", head)
    return {k.lower(): v for k, _, v in (line.partition(": ") for line in unfolded.splitlines())}


def _alice_with(app: App, tmp_path: Path, url: str) -> None:
    posts = tmp_path / "alice.jsonl"
    posts.write_text(json.dumps({
        "id": "1", "text": "our client Acme Corp signed with us!",
        "created_at": "2026-11-21T09:00:00Z", "url": url,
    }) + "\n")
    with session_scope(app.engine) as s:
        employees.add_employee(s, "alice@example.com", "Alice", "Europe/Paris")
        employees.opt_in(s, "alice@example.com")
        employees.link_account(s, "alice@example.com", "file", str(posts))


def _send_alert_and_digest(app: App) -> None:
    app.poller().poll_due()
    assert app.outbox().deliver_due().sent == 1
    now = utcnow()
    assert digest.enqueue_due_digests(app.engine, app.config, now, ignore_hour=True) == 1
    assert app.outbox().deliver_due(now=now).sent == 1


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_no_hostile_post_url_reaches_an_alert_or_a_digest(
    make_app: Callable[..., App], smtp_sink: SmtpSink, tmp_path: Path, url: str
) -> None:
    app = make_app()
    _alice_with(app, tmp_path, url)
    _send_alert_and_digest(app)
    assert len(smtp_sink.raw) == 2
    for raw, msg in zip(smtp_sink.raw, smtp_sink.messages, strict=True):
        for part in msg.walk():
            if part.get_content_maintype() != "text":
                continue
            body = part.get_content().lower()
            assert "script:" not in body and "data:text" not in body, part.get_content_type()
            hrefs = re.findall(r'href="([^"]*)"', part.get_content())
            assert all(h.startswith(("http://", "https://")) for h in hrefs), hrefs
        assert b"script:" not in raw.lower()


def test_a_real_post_url_is_kept_as_the_link(
    make_app: Callable[..., App], smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    app = make_app()
    _alice_with(app, tmp_path, "https://social.example/p/1?x=1&y=2")
    _send_alert_and_digest(app)
    for msg in smtp_sink.messages:
        html = msg.get_body(("html",))
        assert html is not None
        assert 'href="https://social.example/p/1?x=1&amp;y=2"' in html.get_content()


def test_list_unsubscribe_is_raw_on_the_wire(
    make_app: Callable[..., App], smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    base = "https://review.example.com/a/rather/long/path/prefix/for/the/review/page"
    app = make_app(review={"base_url": base})
    _alice_with(app, tmp_path, "https://social.example/p/1")
    _send_alert_and_digest(app)
    digest_raw = smtp_sink.raw[1]
    headers = _unfolded_headers(digest_raw)
    value = headers["list-unsubscribe"]
    assert "=?" not in value  # no RFC 2047 encoded-word
    assert re.fullmatch(rf"<{re.escape(base)}/unsubscribe\?token=[A-Za-z0-9_.\-]+>", value), value
    assert headers["list-unsubscribe-post"] == "List-Unsubscribe=One-Click"
    # the exact bytes, one header line, as a mail client reads them
    assert re.search(rb"\r?\nList-Unsubscribe: <https://review\.example\.com/[^\r\n]+>\r?\n",
                     digest_raw)
    assert b"=?utf-8?" not in digest_raw.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
