"""Edits to older posts (issue 15 item 5): Mastodon's and Reddit's polls page forward from
the newest post, so a clean post edited later to add a leak is seen only by the re-check of
recent posts: within ``daemon.recheck_recent_days`` it is classified and alerted, after it
not; each recent post is looked at again at most once per ``daemon.recheck_recent_hours``,
and at most ``daemon.recheck_recent_batch`` per run. Real SQLite, the embedded daemon's jobs
in-process, the loopback fake API, the SMTP sink.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlmodel import col, select

from monitor.app import App, open_app
from monitor.clock import utcnow
from monitor.people import employees
from monitor.service.daemon import Service
from monitor.service.smtp_sink import SmtpSink
from monitor.settings import Secrets
from monitor.storage.db import session_scope
from monitor.storage.models import AccountRow, AlertRow, FindingRow, PostRow
from testing.fake_api import FakeSocialAPI

LEAK = "Big news: our client Acme Corp signed with us today"
CLEAN = "Lovely hike in the Alps this weekend"


@pytest.fixture
def api() -> Iterator[FakeSocialAPI]:
    with FakeSocialAPI() as server:
        yield server


def _app(tmp_path: Path, sink: SmtpSink, api: FakeSocialAPI, **daemon: Any) -> App:
    return open_app(overrides={
        "storage": {"data_dir": str(tmp_path / "data"), "database_url": ""},
        "smtp": {"host": sink.host, "port": sink.port},
        "polling": {"workers": 1},
        "daemon": {"http_port": 0, **daemon},
        "networks": {"mastodon": {"api_base_url": api.url, "timeout_seconds": 5}},
    })


def _link(app: App, api: FakeSocialAPI, user: str) -> int:
    email = f"{user}@example.com"
    with session_scope(app.engine) as s:
        employees.add_employee(s, email, user.title())
        employees.opt_in(s, email, actor="test")
        handle = f"{user}@{api.url.removeprefix('http://')}"
        return employees.link_account(s, email, "mastodon", handle, actor="test").id or 0


def _open_findings(app: App) -> dict[str, int]:
    with session_scope(app.engine) as s:
        rows = s.exec(select(PostRow.native_id, FindingRow.id).join(FindingRow)
                      .where(FindingRow.status == "open"))
        out: dict[str, int] = {}
        for native_id, _ in rows:
            out[native_id] = out.get(native_id, 0) + 1
        return out


def _immediate_alerts(app: App) -> int:
    with session_scope(app.engine) as s:
        return len(s.exec(select(AlertRow).where(AlertRow.kind == "immediate")).all())


def test_a_clean_status_edited_to_add_a_leak_is_alerted_within_the_window_not_after(
    tmp_path: Path, smtp_sink: SmtpSink, api: FakeSocialAPI,
) -> None:
    app = _app(tmp_path, smtp_sink, api, recheck_recent_days=7, recheck_recent_hours=0)
    now = utcnow()
    old = api.add_post("mastodon", "ann", CLEAN, created_at=now - timedelta(days=9))
    recent = api.add_post("mastodon", "ann", CLEAN, created_at=now - timedelta(days=2))
    account_id = _link(app, api, "ann")
    service = Service(app)
    service.poll_tick(wait=True)
    assert _open_findings(app) == {}
    # when: the employee edits both clean statuses to add a client's name
    api.edit_post("mastodon", old.native_id, LEAK)
    api.edit_post("mastodon", recent.native_id, LEAK)
    # then the regular poll (from the newest id on) does not see the edits
    with session_scope(app.engine) as s:
        s.execute(sa.update(AccountRow).where(col(AccountRow.id) == account_id)
                  .values(next_poll_at=utcnow()))
    service.poll_tick(wait=True)
    assert _open_findings(app) == {}
    # and the re-check of recent posts does: the status within the window is classified
    # and alerted; the one written nine days ago is not even asked for
    api.reset_counts()
    assert service.recheck() == 1
    assert api.requests_for("mastodon", "ann") == 1
    assert list(_open_findings(app)) == [recent.native_id]
    assert _immediate_alerts(app) == 1
    with session_scope(app.engine) as s:
        stored = {p.native_id: p for p in s.exec(select(PostRow))}
    assert stored[recent.native_id].checked_at is not None
    assert stored[old.native_id].checked_at is None
    assert stored[old.native_id].text == CLEAN
    # a later run finds nothing new: the flag stays open, no second alert
    service.recheck()
    assert list(_open_findings(app)) == [recent.native_id]
    assert _immediate_alerts(app) == 1
    app.close()


def test_recent_posts_are_looked_at_once_per_interval_and_in_bounded_batches(
    tmp_path: Path, smtp_sink: SmtpSink, api: FakeSocialAPI,
) -> None:
    app = _app(tmp_path, smtp_sink, api, recheck_recent_days=7, recheck_recent_hours=24,
               recheck_recent_batch=2)
    now = utcnow()
    for n in range(3):
        api.add_post("mastodon", "bob", f"{CLEAN} {n}", created_at=now - timedelta(days=1, hours=n))
    _link(app, api, "bob")
    service = Service(app)
    service.poll_tick(wait=True)
    api.reset_counts()
    # just fetched: not looked at again before 24 hours have passed
    service.recheck()
    assert api.requests_for("mastodon", "bob") == 0
    # a day later (the posts' last look moved back by a day): two per run, then the third
    with session_scope(app.engine) as s:
        s.execute(sa.update(PostRow).values(fetched_at=utcnow() - timedelta(hours=25)))
    service.recheck()
    assert api.requests_for("mastodon", "bob") == 2
    service.recheck()
    assert api.requests_for("mastodon", "bob") == 3
    service.recheck()
    assert api.requests_for("mastodon", "bob") == 3
    app.close()


def test_turned_off_only_flagged_posts_are_looked_at(
    tmp_path: Path, smtp_sink: SmtpSink, api: FakeSocialAPI,
) -> None:
    app = _app(tmp_path, smtp_sink, api, recheck_recent_days=0, recheck_recent_hours=0)
    recent = api.add_post("mastodon", "cy", CLEAN, created_at=utcnow() - timedelta(days=1))
    _link(app, api, "cy")
    service = Service(app)
    service.poll_tick(wait=True)
    api.edit_post("mastodon", recent.native_id, LEAK)
    api.reset_counts()
    assert service.recheck() == 0
    assert api.requests_for("mastodon", "cy") == 0
    assert _open_findings(app) == {}
    app.close()


def test_a_clean_reddit_comment_edited_to_add_a_leak_is_alerted_within_the_window(
    tmp_path: Path, smtp_sink: SmtpSink, api: FakeSocialAPI,
) -> None:
    base = open_app(overrides={
        "storage": {"data_dir": str(tmp_path / "data"), "database_url": ""},
        "smtp": {"host": smtp_sink.host, "port": smtp_sink.port},
        "polling": {"workers": 1},
        "daemon": {"http_port": 0, "recheck_recent_hours": 0},
        "networks": {"reddit": {"oauth_url": api.url, "reddit_url": api.url,
                                "timeout_seconds": 5}},
    })
    secrets = Secrets(reddit_client_id=SecretStr("test-id"),
                      reddit_client_secret=SecretStr("test-secret"))
    app = App(dataclasses.replace(base.config, secrets=secrets), base.engine)
    api.require_token("reddit", "test-id:test-secret")
    now = utcnow()
    old = api.add_post("reddit", "dana", CLEAN, kind="comment",
                       created_at=now - timedelta(days=9))
    recent = api.add_post("reddit", "dana", CLEAN, kind="comment",
                          created_at=now - timedelta(days=2))
    with session_scope(app.engine) as s:
        employees.add_employee(s, "dana@example.com", "Dana")
        employees.opt_in(s, "dana@example.com", actor="test")
        employees.link_account(s, "dana@example.com", "reddit", "dana", actor="test")
    service = Service(app)
    service.poll_tick(wait=True)
    assert _open_findings(app) == {}
    api.edit_post("reddit", old.native_id, LEAK)
    api.edit_post("reddit", recent.native_id, LEAK)
    service.recheck()
    assert list(_open_findings(app)) == [recent.native_id]
    assert _immediate_alerts(app) == 1
    app.close()
