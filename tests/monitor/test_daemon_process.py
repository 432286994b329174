"""`social-monitor run` as a real process: SIGTERM, a second daemon, kill -9 and restart.

Each test runs the installed command against a config folder (settings.toml) in tmp_path,
a SQLite database there, file-connector accounts and a real SMTP sink; waits are bounded.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.app import open_app
from monitor.people import employees
from monitor.service.smtp_sink import SmtpSink, free_port
from monitor.storage.db import session_scope
from monitor.storage.models import AccountRow, AlertRow, PostRow

COMMAND = str(Path(sys.executable).parent / "social-monitor")
FLAGGED = [
    "Big news: our client Acme Corp signed with us today",
    "Sneak peek: #ProjectFalcon is going to blow your minds next spring",
]
HARMLESS = "Lovely hike in the Alps this weekend, legs still hurting"
WAIT = 60.0  # the most any wait below may take on a slow machine


def wait_for(what: str, check: Callable[[], bool], timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Setup:
    config: Path
    data: Path
    port: int
    posts: dict[str, str]  # native id -> text, everything the sources hold

    def start(self) -> subprocess.Popen[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIAL_MONITOR_")}
        return subprocess.Popen(
            [COMMAND, "--config", str(self.config), "run"], env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:
                return bool(r.status == 200)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def engine(self) -> sa.engine.Engine:
        return sa.create_engine(f"sqlite:///{self.data / 'social-monitor.storage.db'}")


def _write(path: Path, prefix: str, texts: list[str]) -> dict[str, str]:
    rows = {f"{prefix}-{j}": t for j, t in enumerate(texts)}
    path.write_text("".join(
        json.dumps({"id": k, "text": t, "created_at": "2026-11-20T08:00:00Z"}) + "\n"
        for k, t in rows.items()), encoding="utf-8")
    return rows


def make_setup(tmp: Path, sink: SmtpSink, accounts: int, *, batch_size: int = 200,
               stuck: int = 0, shutdown_timeout: float = 20) -> Setup:
    """``accounts`` file accounts with one flagged and one harmless post each; ``stuck``
    more whose file is a FIFO nobody writes to: their fetch blocks (a hung source)."""
    config, data = tmp / "config", tmp / "data"
    config.mkdir()
    port = free_port()
    (config / "settings.toml").write_text(f"""
[storage]
data_dir = "{data}"
[smtp]
host = "{sink.host}"
port = {sink.port}
[polling]
workers = 2
batch_size = {batch_size}
[daemon]
tick_seconds = 1
http_port = {port}
shutdown_timeout_seconds = {shutdown_timeout}
""", encoding="utf-8")
    app = open_app(config)
    posts: dict[str, str] = {}
    with session_scope(app.engine) as s:
        for n in range(accounts + stuck):
            email = f"person{n}@example.com"
            employees.add_employee(s, email, f"Person {n}")
            employees.opt_in(s, email, actor="test")
            path = tmp / f"posts{n}.jsonl"
            if n < accounts:
                posts.update(_write(path, f"p{n}", [FLAGGED[n % 2] + f" (#{n})", HARMLESS]))
            else:
                os.mkfifo(path)
            employees.link_account(s, email, "file", str(path), actor="test")
    app.engine.dispose()
    return Setup(config, data, port, posts)


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> tuple[int, str, str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=WAIT)
    return proc.returncode, out, err


def unconfirmed(engine: sa.engine.Engine) -> list[AlertRow]:
    with Session(engine) as s:
        return list(s.exec(select(AlertRow).where(AlertRow.status == "unconfirmed")))


def sent_alerts(engine: sa.engine.Engine) -> list[AlertRow]:
    with Session(engine) as s:
        return list(s.exec(select(AlertRow).where(AlertRow.status == "sent")))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_run_polls_alerts_serves_metrics_and_stops_on_a_signal(
    tmp_path: Path, smtp_sink: SmtpSink, kill_after: list[subprocess.Popen[str]], sig: int
) -> None:
    setup = make_setup(tmp_path, smtp_sink, accounts=4)
    proc = setup.start()
    kill_after.append(proc)
    wait_for("4 alert e-mails", lambda: len(smtp_sink.messages) >= 4)
    wait_for("/healthz", setup.healthy)
    with urllib.request.urlopen(f"http://127.0.0.1:{setup.port}/metrics", timeout=5) as r:
        metrics = r.read().decode()
    assert 'social_monitor_polls_total{network="file",outcome="ok"} 4.0' in metrics
    # when
    code, out, err = stop(proc, sig)
    # then: exit 0, every log line JSON, and no post text and no e-mail body in the logs
    assert code == 0, err
    assert "stopped" in out
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert {"daemon started", "polled account", "stopping", "daemon stopped"} <= {
        line["msg"] for line in lines}
    for text in setup.posts.values():
        assert text not in err
    assert "Acme Corp" not in err and "ProjectFalcon" not in err


def test_a_second_daemon_on_the_same_database_refuses(
    tmp_path: Path, smtp_sink: SmtpSink, kill_after: list[subprocess.Popen[str]]
) -> None:
    setup = make_setup(tmp_path, smtp_sink, accounts=1)
    first = setup.start()
    kill_after.append(first)
    wait_for("/healthz", setup.healthy)
    second = setup.start()
    kill_after.append(second)
    _, err = second.communicate(timeout=WAIT)
    assert second.returncode == 1
    assert "another social-monitor daemon" in err and "already running" in err
    assert f"pid {first.pid}" in err
    assert stop(first)[0] == 0


def test_sigterm_with_a_hung_source_exits_0_after_the_deadline(
    tmp_path: Path, smtp_sink: SmtpSink, kill_after: list[subprocess.Popen[str]]
) -> None:
    # given a daemon whose one worker is stuck reading a source that never answers
    setup = make_setup(tmp_path, smtp_sink, accounts=2, stuck=1, shutdown_timeout=1)
    proc = setup.start()
    kill_after.append(proc)
    wait_for("2 alert e-mails", lambda: len(smtp_sink.messages) >= 2)
    # when / then: it still stops, with exit code 0, and says what it abandoned
    code, out, err = stop(proc)
    assert code == 0, err
    assert "abandoned" in out
    assert '"event": "shutdown_timeout"' in err


def test_kill_9_mid_poll_then_restart_loses_nothing_and_alerts_once(
    tmp_path: Path, smtp_sink: SmtpSink, kill_after: list[subprocess.Popen[str]]
) -> None:
    # given 30 accounts polled 5 per tick, and one hung source so a poll is always in flight
    setup = make_setup(tmp_path, smtp_sink, accounts=30, batch_size=5, stuck=1,
                       shutdown_timeout=1)
    engine = setup.engine()
    proc = setup.start()
    kill_after.append(proc)

    def stored() -> int:
        with Session(engine) as s:
            return int(s.exec(select(sa.func.count()).select_from(PostRow)).one())

    wait_for("some posts stored", lambda: stored() >= 6)
    # when: the process is killed without warning, part-way through
    proc.kill()
    proc.communicate(timeout=WAIT)
    assert 0 < stored() < len(setup.posts)
    # then: cursor and stored posts agree for every account
    with Session(engine) as s:
        for account in s.exec(select(AccountRow)):
            posts = s.exec(select(PostRow).where(PostRow.account_id == account.id)).all()
            assert (account.cursor is None) == (not posts), account.handle
    # when: it restarts and runs until every post is in and every alert is out
    again = setup.start()
    kill_after.append(again)
    wait_for("every post stored", lambda: stored() == len(setup.posts))

    def all_sent() -> bool:
        with Session(engine) as s:
            pending = s.exec(select(sa.func.count()).select_from(AlertRow).where(
                sa.column("status").in_(("queued", "failed", "sending")))).one()
        return pending == 0 and len(sent_alerts(engine)) + len(unconfirmed(engine)) == 30

    wait_for("30 alerts sent", all_sent)
    assert stop(again)[0] == 0
    # then: every post once, every alert once, by Message-ID and by dedupe key
    with Session(engine) as s:
        native = Counter(p.native_id for p in s.exec(select(PostRow)))
    assert set(native) == set(setup.posts) and set(native.values()) == {1}
    ids = Counter(m["Message-ID"] for m in smtp_sink.messages)
    assert all(c == 1 for c in ids.values()), ids.most_common(3)
    by_message_id = {a.message_id: a.dedupe_key for a in sent_alerts(engine)}
    keys = Counter(by_message_id[m] for m in ids)
    assert all(c == 1 for c in keys.values())
    # an alert recorded "sending" when the kill came is "unconfirmed", never sent twice
    assert len(smtp_sink.messages) <= 30
    assert len(smtp_sink.messages) >= 30 - len(unconfirmed(engine))
    assert all(a.last_error.startswith("delivery unconfirmed") for a in unconfirmed(engine))
    engine.dispose()
