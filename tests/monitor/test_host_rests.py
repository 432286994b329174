"""Rests and pauses per host (issue 15 item 8): one Mastodon server's 401 or one feed host's
429 stops that host's accounts only; the other hosts of the same network keep polling, and
the operator's log line names the host. Real SQLite, the embedded daemon's jobs in-process,
the loopback fake API (two instances are two Mastodon servers; one instance reached as
127.0.0.1 and as localhost is two feed hosts).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import select

from connectors import mastodon
from connectors.base import AccountRef, Connector, FetchResult
from monitor.app import App, open_app
from monitor.clock import utcnow
from monitor.people import employees
from monitor.polling import scheduling
from monitor.service import status
from monitor.service.daemon import Service
from monitor.service.smtp_sink import SmtpSink
from monitor.settings import Settings
from monitor.storage import migrate
from monitor.storage.db import make_engine, session_scope
from monitor.storage.models import AccountRow, AuditEventRow
from testing.fake_api import FakeSocialAPI

HARMLESS = "Lovely hike in the Alps this weekend"


class _PerServer:
    """The Mastodon connector, one client per server, as the real one keeps: it reads
    ``https://<server>``, and the loopback fakes speak plain http, so each server's client
    is a real :class:`MastodonConnector` pointed at that fake's address."""

    network = "mastodon"

    def __init__(self, fakes: Sequence[FakeSocialAPI]) -> None:
        self._by_server = {
            fake.url.removeprefix("http://"): mastodon.build({"api_base_url": fake.url,
                                                              "timeout_seconds": 5})
            for fake in fakes
        }

    def _for(self, account: AccountRef) -> mastodon.MastodonConnector:
        return self._by_server[account.handle.rpartition("@")[2]]

    def fetch(self, account: AccountRef, cursor: str | None) -> FetchResult:
        return self._for(account).fetch(account, cursor)

    def recheck(self, account: AccountRef, native_ids: Sequence[str]) -> FetchResult:
        return self._for(account).recheck(account, native_ids)

    def verify(self, account: AccountRef) -> AccountRef:
        return self._for(account).verify(account)

    def close(self) -> None:
        for connector in self._by_server.values():
            connector.close()


@dataclasses.dataclass
class _TwoServerApp(App):
    """The application with Mastodon wired to two loopback servers (see :class:`_PerServer`)."""

    fakes: Sequence[FakeSocialAPI] = ()

    def connector_for(self, network: str) -> Connector:
        if network != "mastodon":
            return super().connector_for(network)
        cache: dict[str, Connector] = self._local.__dict__.setdefault("connectors", {})
        if network not in cache:
            cache[network] = _PerServer(self.fakes)
            with self._lock:
                self._all_connectors.append(cache[network])
        return cache[network]


@pytest.fixture
def two_servers() -> Iterator[tuple[FakeSocialAPI, FakeSocialAPI]]:
    with FakeSocialAPI() as one, FakeSocialAPI() as two:
        yield one, two


def _overrides(tmp_path: Path, sink: SmtpSink) -> dict[str, Any]:
    return {
        "storage": {"data_dir": str(tmp_path / "data"), "database_url": ""},
        "smtp": {"host": sink.host, "port": sink.port},
        "polling": {"workers": 1},
        "daemon": {"http_port": 0},
        "networks": {"rss": {"timeout_seconds": 5}},
    }


def _link(app: App, n: int, network: str, handle: str) -> int:
    email = f"person{n}@example.com"
    with session_scope(app.engine) as s:
        employees.add_employee(s, email, f"Person {n}")
        employees.opt_in(s, email, actor="test")
        return employees.link_account(s, email, network, handle, actor="test").id or 0


def _account(app: App, account_id: int) -> AccountRow:
    with session_scope(app.engine) as s:
        account = s.get(AccountRow, account_id)
        assert account is not None
        return account


def _host(fake: FakeSocialAPI) -> str:
    return fake.url.removeprefix("http://")


def test_a_401_from_one_mastodon_server_pauses_that_server_only(
    tmp_path: Path, smtp_sink: SmtpSink, two_servers: tuple[FakeSocialAPI, FakeSocialAPI],
    caplog: pytest.LogCaptureFixture,
) -> None:
    one, two = two_servers
    base = open_app(overrides=_overrides(tmp_path, smtp_sink))
    app = _TwoServerApp(base.config, base.engine, fakes=(one, two))
    for fake, user in ((one, "ann"), (one, "amy"), (two, "bob")):
        fake.add_post("mastodon", user, HARMLESS)
    ann = _link(app, 1, "mastodon", f"ann@{_host(one)}")
    amy = _link(app, 2, "mastodon", f"amy@{_host(one)}")
    bob = _link(app, 3, "mastodon", f"bob@{_host(two)}")
    one.require_token("mastodon", "a-token-we-do-not-have")  # server one answers 401
    # when one tick runs
    with caplog.at_level(logging.INFO):
        Service(app).poll_tick(wait=True)
    # then server one was asked once and is paused; server two's account was polled
    assert one.requests_total("mastodon") == 1
    assert _account(app, bob).last_polled_at is not None
    assert _account(app, ann).last_polled_at is None
    assert _account(app, amy).last_polled_at is None
    # the operator's alert names the host, once; the network as a whole is not paused
    paused = [r for r in caplog.records if getattr(r, "event", "") == "host_paused"]
    assert len(paused) == 1 and paused[0].levelno == logging.ERROR
    assert paused[0].__dict__["host"] == _host(one)
    assert paused[0].__dict__["network"] == "mastodon"
    assert not [r for r in caplog.records if getattr(r, "event", "") == "network_paused"]
    now = utcnow()
    with session_scope(app.engine) as s:
        assert scheduling.paused_networks(s, now) == {}
        assert set(scheduling.resting_hosts(s, now)) == {("mastodon", _host(one))}
        events = s.exec(select(AuditEventRow).where(AuditEventRow.action == scheduling.HOST_PAUSED))
        assert [e.subject for e in events] == [f"host:mastodon/{_host(one)}"]
    snap = status.snapshot(app.engine, now)
    assert list(snap.resting_hosts) == [f"mastodon/{_host(one)}"]
    assert snap.resting_hosts[f"mastodon/{_host(one)}"]["reason"] == "AuthFailed"
    # and after a restart (fresh memory) the pause holds while server two keeps polling
    two.add_post("mastodon", "cat", HARMLESS)
    cat = _link(app, 4, "mastodon", f"cat@{_host(two)}")
    Service(app).poll_tick(wait=True)
    assert one.requests_total("mastodon") == 1
    assert _account(app, cat).last_polled_at is not None
    # the operator fixed the token and ends the pause: server one is polled again
    one.tokens.pop("mastodon")
    with session_scope(app.engine) as s:
        scheduling.resume_host(s, "mastodon", _host(one), utcnow(), actor="operator")
    Service(app).poll_tick(wait=True)
    assert _account(app, amy).last_polled_at is not None
    app.close()


def test_a_429_from_one_feed_host_rests_that_host_only(
    tmp_path: Path, smtp_sink: SmtpSink, caplog: pytest.LogCaptureFixture,
) -> None:
    with FakeSocialAPI() as api:
        app = open_app(overrides=_overrides(tmp_path, smtp_sink))
        port = api.url.rsplit(":", 1)[1]
        feeds = {}
        for n, (name, host) in enumerate((("a", "127.0.0.1"), ("b", "127.0.0.1"),
                                          ("c", "localhost"))):
            api.add_post("rss", name, HARMLESS)
            feeds[name] = _link(app, n, "rss", f"http://{host}:{port}/feeds/{name}.xml")
        api.fail("rss", 429, handle="a", retry_after=600)
        service = Service(app)
        # when one tick runs: feed a's host answers 429
        with caplog.at_level(logging.INFO):
            totals = service.poll_tick(wait=True)
        # then the other feed on that host is not asked; the feed on the other host is read
        assert totals.get("rate_limited") == 1
        assert api.requests_for("rss", "b") == 0
        assert _account(app, feeds["b"]).last_polled_at is None
        assert _account(app, feeds["c"]).last_polled_at is not None
        # the rest is the host's, not the network's, and the log line names the host
        assert service.rests.resting(utcnow()) == set()
        limited = [r for r in caplog.records if getattr(r, "event", "") == "rate_limited"]
        assert [r.__dict__.get("host") for r in limited] == [f"127.0.0.1:{port}"]
        with session_scope(app.engine) as s:
            rests = scheduling.resting_hosts(s, utcnow())
        assert set(rests) == {("rss", f"127.0.0.1:{port}")}
        assert rests[("rss", f"127.0.0.1:{port}")].until > utcnow() + timedelta(minutes=9)
        # and a restarted daemon keeps the rest: b still waits, nothing is asked of that host
        api.reset_counts()
        Service(app).poll_tick(wait=True)
        assert api.requests_for("rss", "a") == api.requests_for("rss", "b") == 0
        app.close()


@pytest.mark.parametrize(("network", "handle", "networks", "host"), [
    ("mastodon", "@Ann@Social.Example", {}, "social.example"),
    ("mastodon", "ann@social.example", {"mastodon": {"api_base_url": "https://one.example/"}},
     "one.example"),
    ("rss", "https://Blog.Example:8443/feed.xml", {}, "blog.example:8443"),
    ("bluesky", "ann.bsky.social", {}, "public.api.bsky.app"),
    ("bluesky", "ann.bsky.social", {"bluesky": {"api_base_url": "http://127.0.0.1:9"}},
     "127.0.0.1:9"),
    ("x", "ann", {}, None),
    ("file", "/tmp/posts.jsonl", {}, None),
])
def test_the_host_of_an_account(network: str, handle: str, networks: dict[str, Any],
                                host: str | None) -> None:
    settings = Settings(networks=networks)
    assert scheduling.host_for(settings, network, handle) == host


def test_a_429_to_a_recheck_rests_that_server_only(
    tmp_path: Path, smtp_sink: SmtpSink, two_servers: tuple[FakeSocialAPI, FakeSocialAPI],
    caplog: pytest.LogCaptureFixture,
) -> None:
    one, two = two_servers
    overrides = _overrides(tmp_path, smtp_sink)
    overrides["daemon"].update(recheck_recent_hours=0)
    base = open_app(overrides=overrides)
    app = _TwoServerApp(base.config, base.engine, fakes=(one, two))
    for n, (fake, user) in enumerate(((one, "ann"), (one, "amy"), (two, "bob"))):
        fake.add_post("mastodon", user, HARMLESS, created_at=utcnow() - timedelta(days=1))
        _link(app, n, "mastodon", f"{user}@{_host(fake)}")
    service = Service(app)
    service.poll_tick(wait=True)
    one.reset_counts()
    two.reset_counts()
    one.fail("mastodon", 429, times=1, reset_at=utcnow() + timedelta(minutes=10))
    # when the re-check of recent posts meets a 429 from server one
    with caplog.at_level(logging.WARNING):
        service.recheck()
    # then server one was asked once, server two's post was looked at, and only server one
    # rests: the network as a whole does not
    assert one.requests_total("mastodon") == 1
    assert two.requests_for("mastodon", "bob") == 1
    assert service.rests.resting(utcnow()) == set()
    limited = [r for r in caplog.records if getattr(r, "event", "") == "rate_limited"]
    assert [r.__dict__.get("host") for r in limited] == [_host(one)]
    # and the next run leaves server one alone
    service.recheck()
    assert one.requests_total("mastodon") == 1
    assert two.requests_for("mastodon", "bob") == 2
    app.close()


def test_a_database_from_before_hosts_keeps_working(
    tmp_path: Path, smtp_sink: SmtpSink, two_servers: tuple[FakeSocialAPI, FakeSocialAPI],
) -> None:
    """An account linked before migration 0006 has no host yet: it is polled as before,
    and that poll records its host."""
    one, _ = two_servers
    one.add_post("mastodon", "ann", HARMLESS)
    overrides = _overrides(tmp_path, smtp_sink)
    engine = make_engine(Settings(storage=overrides["storage"]).storage.url())
    migrate.upgrade(engine, "0005_post_per_account")
    now = utcnow().replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO employee (id, email, name, timezone, digest_hour, digest_unsubscribed,"
            " paused, own_contacts, opted_in_at, created_at) VALUES (1, 'ann@example.com',"
            " 'Ann', 'UTC', 8, 0, 0, '[]', :now, :now)"), {"now": now})
        conn.execute(sa.text(
            "INSERT INTO account (id, employee_id, network, handle, status, status_reason,"
            " failure_count, next_poll_at, created_at) VALUES (1, 1, 'mastodon', :handle,"
            " 'active', '', 0, :now, :now)"), {"now": now, "handle": f"ann@{_host(one)}"})
    engine.dispose()
    base = open_app(overrides=overrides)  # upgrades to head
    app = _TwoServerApp(base.config, base.engine, fakes=(one,))
    assert _account(app, 1).host is None
    Service(app).poll_tick(wait=True)
    account = _account(app, 1)
    assert account.last_polled_at is not None and account.host == _host(one)
    app.close()
