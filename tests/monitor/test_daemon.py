"""The embedded daemon's jobs in-process: fair budgets, rate limits, 5xx, paused networks,
re-checks, metrics and /healthz. Real SQLite, the local fake API server, the file connector.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlmodel import select

from monitor.app import App, open_app
from monitor.clock import utcnow
from monitor.errors import Conflict
from monitor.people import employees
from monitor.polling import scheduling
from monitor.service.daemon import Service
from monitor.service.locks import DatabaseLock, InstanceLock
from monitor.service.metrics import Metrics, OpsServer
from monitor.service.smtp_sink import SmtpSink, free_port
from monitor.service.status import lock_path
from monitor.settings import Secrets
from monitor.storage.db import session_scope
from monitor.storage.models import AccountRow, AlertRow, AuditEventRow, FindingRow
from testing.fake_api import FakeSocialAPI

FLAGGED = "Big news: our client Acme Corp signed with us today"
HARMLESS = "Lovely hike in the Alps this weekend"


@pytest.fixture
def api() -> Iterator[FakeSocialAPI]:
    with FakeSocialAPI() as server:
        yield server


def _app(tmp_path: Path, sink: SmtpSink, api: FakeSocialAPI | None = None,
         **daemon: Any) -> App:
    overrides: dict[str, Any] = {
        "storage": {"data_dir": str(tmp_path / "data"), "database_url": ""},
        "smtp": {"host": sink.host, "port": sink.port},
        "polling": {"workers": 1},
        "daemon": {"http_port": 0, **daemon},
    }
    if api is not None:
        overrides["networks"] = {"x": {"api_base_url": api.url, "timeout_seconds": 5}}
    base = open_app(overrides=overrides)
    secrets = Secrets(x_bearer_token=SecretStr("token"))
    return App(dataclasses.replace(base.config, secrets=secrets), base.engine)


def _person(app: App, n: int) -> str:
    email = f"person{n}@example.com"
    with session_scope(app.engine) as s:
        employees.add_employee(s, email, f"Person {n}")
        employees.opt_in(s, email, actor="test")
    return email


def _file_account(app: App, folder: Path, n: int, texts: list[str]) -> int:
    path = folder / f"posts{n}.jsonl"
    _write_posts(path, n, texts)
    email = _person(app, n)
    with session_scope(app.engine) as s:
        account = employees.link_account(s, email, "file", str(path), actor="test")
        return account.id or 0


def _write_posts(path: Path, n: int, texts: list[str], skip: frozenset[int] = frozenset()) -> None:
    lines = [
        json.dumps({"id": f"f{n}-{j}", "text": t, "created_at": "2026-11-20T08:00:00Z"})
        for j, t in enumerate(texts) if j not in skip
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _x_account(app: App, api: FakeSocialAPI, n: int) -> int:
    """An X account: the registry has no X entry yet, so the row goes in directly."""
    handle = f"user{n}"
    api.add_account("x", handle)
    api.add_post("x", handle, HARMLESS)
    email = _person(app, 1000 + n)
    with session_scope(app.engine) as s:
        emp = employees.get_employee(s, email)
        now = utcnow()
        account = AccountRow(employee_id=emp.id or 0, network="x", handle=handle,
                          next_poll_at=now, created_at=now)
        s.add(account)
        s.flush()
        return account.id or 0


def _account(app: App, account_id: int) -> AccountRow:
    with session_scope(app.engine) as s:
        account = s.get(AccountRow, account_id)
        assert account is not None
        return account


def test_the_poller_is_wired_once_and_loads_the_models_on_first_use(
        tmp_path: Path, smtp_sink: SmtpSink) -> None:
    app = _app(tmp_path, smtp_sink)
    assert "pipeline" not in app.__dict__  # opening the app loads no model
    poller = app.poller()
    assert "pipeline" in app.__dict__ and poller.pipeline is app.pipeline
    assert app.poller() is poller  # the daemon's workers share one
    own = app.poller(connector_for=app.connector_for)  # a caller's own connectors: its own
    assert own is not poller and own.pipeline is poller.pipeline


def test_each_network_gets_its_budget_per_tick(tmp_path: Path, smtp_sink: SmtpSink,
                                               api: FakeSocialAPI) -> None:
    # given 6 X accounts (2 requests each on a first poll) and 6 file accounts (1 request)
    app = _app(tmp_path, smtp_sink, api, network_request_budget=4)
    xs = [_x_account(app, api, n) for n in range(6)]
    files = [_file_account(app, tmp_path, n, [HARMLESS]) for n in range(6)]
    # when one tick runs
    Service(app).poll_tick(wait=True)
    # then X got 4 requests (2 accounts), the file network 4 polls: neither starved
    assert api.requests_total("x") == 4
    assert sum(_account(app, i).last_polled_at is not None for i in xs) == 2
    assert sum(_account(app, i).last_polled_at is not None for i in files) == 4


def test_rate_limit_rests_the_network_until_its_reset(tmp_path: Path, smtp_sink: SmtpSink,
                                                      api: FakeSocialAPI) -> None:
    app = _app(tmp_path, smtp_sink, api)
    xs = [_x_account(app, api, n) for n in range(3)]
    other = _file_account(app, tmp_path, 1, [HARMLESS])
    reset = (utcnow() + timedelta(minutes=10)).replace(microsecond=0)
    api.fail("x", 429, times=1, reset_at=reset)
    service = Service(app, metrics=Metrics())
    # when: the first X request is refused with 429
    totals = service.poll_tick(wait=True)
    # then: that account waits for the reset, the others are not asked, the file account is
    assert totals.get("rate_limited") == 1
    assert api.requests_total("x") == 1
    limited = [a for a in map(lambda i: _account(app, i), xs) if a.failure_count]
    assert len(limited) == 1 and limited[0].next_poll_at == reset
    assert _account(app, other).last_polled_at is not None
    # and the next tick leaves the network alone too
    service.poll_tick(wait=True)
    assert api.requests_total("x") == 1
    assert service.metrics.rate_limit_waits.labels("x")._value.get() == 1


def test_server_errors_back_off_one_account(tmp_path: Path, smtp_sink: SmtpSink,
                                            api: FakeSocialAPI) -> None:
    app = _app(tmp_path, smtp_sink, api)
    sick, healthy = _x_account(app, api, 1), _x_account(app, api, 2)
    api.fail("x", 503, times=100, handle="user1")
    before = utcnow()
    Service(app).poll_tick(wait=True)
    account = _account(app, sick)
    assert account.failure_count == 1
    assert account.next_poll_at is not None and account.next_poll_at > before
    assert _account(app, healthy).last_polled_at is not None


def test_refused_credentials_pause_the_network_and_alert_the_operator(
    tmp_path: Path, smtp_sink: SmtpSink, api: FakeSocialAPI, caplog: pytest.LogCaptureFixture
) -> None:
    app = _app(tmp_path, smtp_sink, api)
    xs = [_x_account(app, api, n) for n in range(3)]
    other = _file_account(app, tmp_path, 1, [HARMLESS])
    api.require_token("x", "another-token")
    # when
    with caplog.at_level(logging.ERROR, logger="monitor.daemon"):
        Service(app).poll_tick(wait=True)
    # then: one request, one pause (audit event + ERROR line), the file network carries on
    assert api.requests_total("x") == 1
    paused = [r for r in caplog.records if getattr(r, "event", "") == "network_paused"]
    assert len(paused) == 1 and paused[0].__dict__["network"] == "x"
    with session_scope(app.engine) as s:
        events = s.exec(select(AuditEventRow).where(
            AuditEventRow.action == scheduling.PAUSED)).all()
        assert [e.subject for e in events] == ["network:x"]
        assert "x" in scheduling.paused_networks(s, utcnow())
    assert _account(app, other).last_polled_at is not None
    # and a restarted service (fresh memory) keeps the pause: it lives in the database
    Service(app).poll_tick(wait=True)
    assert api.requests_total("x") == 1
    assert all(_account(app, i).last_polled_at is None for i in xs)
    # an operator's resume ends it
    with session_scope(app.engine) as s:
        scheduling.resume_network(s, "x", utcnow(), actor="operator")
    api.require_token("x", "token")
    Service(app).poll_tick(wait=True)
    assert sum(_account(app, i).last_polled_at is not None for i in xs) >= 2


def test_recheck_closes_flags_of_deleted_and_edited_posts(tmp_path: Path,
                                                          smtp_sink: SmtpSink) -> None:
    app = _app(tmp_path, smtp_sink)
    texts = [FLAGGED, "Sneak peek: #ProjectFalcon is going to blow your minds", HARMLESS]
    account_id = _file_account(app, tmp_path, 7, texts)
    service = Service(app)
    service.poll_tick(wait=True)
    with session_scope(app.engine) as s:
        assert len(s.exec(select(FindingRow).where(FindingRow.status == "open")).all()) == 2
    # when: the employee deletes the first post and rewrites the second
    _write_posts(tmp_path / "posts7.jsonl", 7, [FLAGGED, "Sneak peek: a new thing", HARMLESS],
                 skip=frozenset({0}))
    assert service.recheck() == 1
    # then: the edit closes its flag at once; a post missing from the export once is not
    # yet deleted (an export can be partial), missing twice in a row it is
    with session_scope(app.engine) as s:
        assert {f.resolution for f in s.exec(select(FindingRow))} == {None, "post_edited"}
    assert service.recheck() == 1
    # then: both flags are closed by themselves and their pending alerts cancelled
    with session_scope(app.engine) as s:
        found = {f.resolution for f in s.exec(select(FindingRow))}
        assert found == {"post_deleted", "post_edited"}
        assert {a.status for a in s.exec(select(AlertRow))} == {"cancelled"}
    assert _account(app, account_id).status == "active"


def test_a_poll_that_is_no_longer_due_is_skipped(tmp_path: Path, smtp_sink: SmtpSink) -> None:
    app = _app(tmp_path, smtp_sink)
    account_id = _file_account(app, tmp_path, 1, [HARMLESS])
    polls = app.poller()
    assert polls.poll_account(account_id, only_if_due=True).outcome == "ok"
    assert polls.poll_account(account_id, only_if_due=True).outcome == "not_due"


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_metrics_and_healthz_endpoints(tmp_path: Path, smtp_sink: SmtpSink) -> None:
    app = _app(tmp_path, smtp_sink)
    _file_account(app, tmp_path, 1, [FLAGGED, HARMLESS])
    service = Service(app, metrics=Metrics(app.engine))
    ops = OpsServer("127.0.0.1", free_port(), service.metrics, service.health).start()
    try:
        service.poll_tick(wait=True)
        service.deliver()
        code, body = _get(f"http://127.0.0.1:{ops.port}/metrics")
        assert code == 200
        assert 'social_monitor_polls_total{network="file",outcome="ok"} 1.0' in body
        assert 'social_monitor_posts_total{kind="new",network="file"} 2.0' in body
        assert 'social_monitor_findings_total{category="confidential"} 1.0' in body
        assert 'social_monitor_alerts{status="sent"} 1.0' in body
        assert "social_monitor_queue_depth 0.0" in body
        assert FLAGGED not in body
        code, body = _get(f"http://127.0.0.1:{ops.port}/healthz")
        assert code == 200 and json.loads(body)["status"] == "ok"
        service.health.stopping = True
        assert _get(f"http://127.0.0.1:{ops.port}/healthz")[0] == 503
        assert _get(f"http://127.0.0.1:{ops.port}/nope")[0] == 404
    finally:
        ops.stop()
    assert len(smtp_sink.messages) == 1


def test_pause_events_parse_back(tmp_path: Path, smtp_sink: SmtpSink) -> None:
    app = _app(tmp_path, smtp_sink)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with session_scope(app.engine) as s:
        scheduling.pause_network(s, "reddit", now + timedelta(hours=1), "AuthFailed", now)
        scheduling.pause_network(s, "x", now + timedelta(minutes=5), "AuthFailed", now)
    with session_scope(app.engine) as s:
        assert scheduling.paused_networks(s, now) == {
            "reddit": now + timedelta(hours=1), "x": now + timedelta(minutes=5)}
        assert set(scheduling.paused_networks(s, now + timedelta(minutes=10))) == {"reddit"}


def test_interleave_is_round_robin() -> None:
    a = [scheduling.Pick("a", i) for i in range(3)]
    b = [scheduling.Pick("b", i) for i in range(1)]
    assert [p.network for p in scheduling.interleave([a, b])] == ["a", "b", "a", "a"]


@pytest.mark.postgres
def test_one_embedded_daemon_per_postgresql_database(pg_url: str, tmp_path: Path) -> None:
    first = open_app(overrides={"storage": {"database_url": pg_url,
                                            "data_dir": str(tmp_path / "a")}})
    second = open_app(upgrade=False, overrides={"storage": {"database_url": pg_url,
                                                            "data_dir": str(tmp_path / "b")}})
    held = DatabaseLock(first.engine)
    held.acquire()
    with pytest.raises(Conflict, match="already running on this database"):
        DatabaseLock(second.engine).acquire()
    held.release()
    again = DatabaseLock(second.engine)
    again.acquire()
    again.release()
    first.engine.dispose()
    second.engine.dispose()


def test_the_sqlite_lock_lives_beside_the_database_file(tmp_path: Path) -> None:
    # two config folders with their own data folders, one database file
    db = tmp_path / "shared" / "monitor.db"
    first, second = (
        open_app(overrides={"storage": {"database_url": f"sqlite:///{db}",
                                        "data_dir": str(tmp_path / name)}})
        for name in ("a", "b"))
    paths = {lock_path(app.config.settings.storage) for app in (first, second)}
    assert paths == {db.with_name("monitor.db.daemon.lock")}
    held = InstanceLock(lock_path(first.config.settings.storage))
    held.acquire()
    with pytest.raises(Conflict, match="already running"):
        InstanceLock(lock_path(second.config.settings.storage)).acquire()
    held.release()
    first.engine.dispose()
    second.engine.dispose()


@pytest.mark.postgres
def test_a_lost_database_lock_is_taken_again_or_the_daemon_stops(
    pg_url: str, tmp_path: Path
) -> None:
    app = open_app(overrides={"storage": {"database_url": pg_url,
                                          "data_dir": str(tmp_path / "a")}})
    lock = DatabaseLock(app.engine)
    lock.acquire()
    assert lock.verify()
    # when the server ends the session that held it (as a restart does)
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")

    def end_holder() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                "AND objid = :k"), {"k": DatabaseLock.KEY})

    end_holder()
    # then the next cycle's check takes it again
    assert lock.verify()
    # when the lock is lost and another daemon takes it first
    end_holder()
    other = DatabaseLock(app.engine)
    other.acquire()
    # then this one must stop, and the service says so
    assert not lock.verify()
    service = Service(app, metrics=Metrics())
    service.db_lock = lock
    assert service.poll_tick() == {} and service.stopping.is_set() and service.lost_lock
    other.release()
    admin.dispose()
    app.engine.dispose()
