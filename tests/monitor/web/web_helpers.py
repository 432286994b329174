"""Helpers for the review-page tests: two employees with flags, signing in, CSRF tokens."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from monitor.alerts.links import make_token
from monitor.app import App
from monitor.people import employees
from monitor.storage.db import session_scope
from monitor.storage.models import FindingRow, PostRow

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ANN_TEXT = "Our new intern is a total idiot, honestly."
ANN_OLD_TEXT = "Meeting the Acme Corp team at the Winter Offsite today!"
BOB_TEXT = "Bob's secret: my card is 4111 1111 1111 1111."


@dataclass(frozen=True)
class World:
    app: App
    ann: int
    bob: int
    ann_flag: int
    ann_old_flag: int
    bob_flag: int


def _flag(post: PostRow, category: str, rule: str, word: str, score: float, when: datetime,
          decision: str = "alert") -> FindingRow:
    text = post.text or ""
    start = text.index(word)
    return FindingRow(post_id=post.id or 0, detector="test", detector_version="1",
                   category=category, rule=rule, start=start, end=start + len(word),
                   masked=word if category != "personal_data" else "4111 **** **** 1111",
                   score=score, explanation=f"'{word}' looks like {category.replace('_', ' ')}",
                   content_hash=post.content_hash, decision=decision, created_at=when)


def build_world(app: App) -> World:
    """Ann has two open flags (one newer), Bob has one."""
    with session_scope(app.engine) as s:
        ids: dict[str, int] = {}
        for email, name in (("ann@example.com", "Ann"), ("bob@example.com", "Bob")):
            emp = employees.add_employee(s, email, name, "Europe/Paris")
            employees.opt_in(s, email)
            acc = employees.link_account(s, email, "file", f"{name.lower()}.jsonl")
            ids[name] = emp.id or 0
            ids[name + "_acc"] = acc.id or 0
        posts = []
        for acc, native, text, lang, assessed in (
            (ids["Ann_acc"], "a1", ANN_TEXT, "en", True),
            (ids["Ann_acc"], "a0", ANN_OLD_TEXT, "de", False),
            (ids["Bob_acc"], "b1", BOB_TEXT, "en", True),
        ):
            post = PostRow(account_id=acc, network="file", native_id=native,
                        url=f"https://social.example/{native}", text=text,
                        content_hash="hash-" + native, language=lang, wording_assessed=assessed,
                        created_at=NOW - timedelta(hours=3), fetched_at=NOW - timedelta(hours=2))
            s.add(post)
            s.flush()
            posts.append(post)
        flags = [
            _flag(posts[0], "harmful", "1", "total idiot", 0.93, NOW - timedelta(hours=1)),
            _flag(posts[1], "confidential", "4", "Acme Corp", 0.8, NOW - timedelta(hours=2)),
            _flag(posts[2], "personal_data", "4", "4111 1111 1111 1111", 0.97,
                  NOW - timedelta(hours=1)),
        ]
        for f in flags:
            s.add(f)
        s.flush()
        return World(app, ids["Ann"], ids["Bob"], flags[0].id or 0, flags[1].id or 0,
                     flags[2].id or 0)


_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client: TestClient, app: App, employee_id: int) -> None:
    """Open an e-mailed link and press the button, as a person would."""
    token = make_token(app.config, employee_id)
    page = client.get("/signin", params={"token": token})
    assert page.status_code == 200
    r = client.post("/signin", data={"token": token, "csrf_token": csrf_from(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/"


def wait_for(check: Callable[[], bool], what: str, tries: int = 200) -> None:
    for _ in range(tries):
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


@contextmanager
def serving(api: FastAPI, port: int) -> Iterator[None]:
    """``api`` served by uvicorn on 127.0.0.1:``port`` (real HTTP) until the block ends."""
    config = uvicorn.Config(api, host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="off", http="h11", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    wait_for(lambda: server.started, "uvicorn to start")
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=15)
