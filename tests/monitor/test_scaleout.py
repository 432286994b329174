"""Scale-out on the real PostgreSQL: two `social-monitor worker` processes share a few
hundred accounts and poll each exactly once per period; every alert is sent once.

procrastinate's tables go into their own schema inside the test's fresh database, which
the ``pg_url`` fixture drops afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import IO

import pytest
import sqlalchemy as sa

from monitor.app import open_app
from monitor.people import employees
from monitor.service.smtp_sink import SmtpSink
from monitor.storage.db import session_scope

pytestmark = pytest.mark.postgres

COMMAND = str(Path(sys.executable).parent / "social-monitor")
ACCOUNTS = 300
WAIT = 90.0


def _wait_for(what: str, check: object, timeout: float = WAIT) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _worker_config(tmp_path: Path, pg_url: str, smtp_sink: SmtpSink,
                   batch_size: int = 1000) -> Path:
    """A config folder for `social-monitor worker` on the test's database and SMTP sink."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.toml").write_text(f"""
[storage]
database_url = "{pg_url}"
data_dir = "{tmp_path / 'data'}"
[smtp]
host = "{smtp_sink.host}"
port = {smtp_sink.port}
[polling]
workers = 2
batch_size = {batch_size}
[daemon]
mode = "procrastinate"
tick_seconds = 1
procrastinate_schema = "sm_jobs"
""", encoding="utf-8")
    return config


def test_two_workers_poll_each_account_exactly_once(pg_url: str, tmp_path: Path,
                                                    smtp_sink: SmtpSink) -> None:
    # given 300 opted-in employees, one file account each with one flagged post
    config = _worker_config(tmp_path, pg_url, smtp_sink, batch_size=100)
    app = open_app(config)
    with session_scope(app.engine) as s:
        for n in range(ACCOUNTS):
            path = tmp_path / f"posts{n}.jsonl"
            path.write_text(json.dumps({
                "id": f"p{n}", "text": f"Our client Acme Corp signed today (#{n})",
                "created_at": "2026-11-20T08:00:00Z"}) + "\n", encoding="utf-8")
            email = f"person{n}@example.com"
            employees.add_employee(s, email, f"Person {n}")
            employees.opt_in(s, email, actor="test")
            employees.link_account(s, email, "file", str(path), actor="test")

    def polled() -> int:
        with app.engine.connect() as conn:
            return int(conn.execute(sa.text(
                "SELECT count(*) FROM account WHERE last_polled_at IS NOT NULL")).scalar_one())

    # when two workers run until every account is polled and every alert is out
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIAL_MONITOR_")}
    workers = [
        subprocess.Popen([COMMAND, "--config", str(config), "worker", "--name", f"w{i}"],
                         env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for i in range(2)
    ]
    try:
        _wait_for("every account polled", lambda: polled() == ACCOUNTS)
        _wait_for("every alert sent", lambda: len(smtp_sink.messages) >= ACCOUNTS)
        # a few more periods pass: nothing is due, so nothing is polled again
        time.sleep(3)
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        outputs = [w.communicate(timeout=WAIT) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [e[-2000:] for _, e in outputs]
    # then: each account was polled exactly once, across both workers
    polls: Counter[int] = Counter()
    for _, err in outputs:
        for line in err.splitlines():
            entry = json.loads(line)
            if entry["msg"] == "polled account":
                polls[entry["account_id"]] += 1
    assert len(polls) == ACCOUNTS and set(polls.values()) == {1}
    # and every alert went out once
    ids = Counter(m["Message-ID"] for m in smtp_sink.messages)
    assert len(ids) == ACCOUNTS and set(ids.values()) == {1}
    with app.engine.connect() as conn:
        assert conn.execute(sa.text(
            "SELECT count(*) FROM alert WHERE status = 'sent'")).scalar_one() == ACCOUNTS
        assert conn.execute(sa.text(
            "SELECT count(*) FROM sm_jobs.procrastinate_jobs WHERE status = 'failed'")
        ).scalar_one() == 0
    app.engine.dispose()


def test_a_worker_killed_mid_job_loses_nothing(pg_url: str, tmp_path: Path,
                                               smtp_sink: SmtpSink) -> None:
    # given three accounts, one of whose sources hangs (a FIFO nobody writes to)
    config = _worker_config(tmp_path, pg_url, smtp_sink)
    app = open_app(config)
    hung = tmp_path / "posts-hung.jsonl"
    os.mkfifo(hung)
    with session_scope(app.engine) as s:
        for n in range(3):
            path = hung if n == 0 else tmp_path / f"posts{n}.jsonl"
            if n:
                path.write_text(json.dumps({
                    "id": f"p{n}", "text": f"Our client Acme Corp signed today (#{n})",
                    "created_at": "2026-11-20T08:00:00Z"}) + "\n", encoding="utf-8")
            email = f"person{n}@example.com"
            employees.add_employee(s, email, f"Person {n}")
            employees.opt_in(s, email, actor="test")
            employees.link_account(s, email, "file", str(path), actor="test")

    def count(sql: str) -> int:
        with app.engine.connect() as conn:
            return int(conn.execute(sa.text(sql)).scalar_one())

    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIAL_MONITOR_")}
    logs: list[IO[str]] = []  # each worker's log, kept for a look after a failure

    def start(name: str) -> subprocess.Popen[str]:
        logs.append((tmp_path / f"{name}.log").open("w"))
        return subprocess.Popen([COMMAND, "--config", str(config), "worker", "--name", name],
                                env=env, text=True, stdout=subprocess.DEVNULL, stderr=logs[-1])

    first = start("doomed")
    second: subprocess.Popen[str] | None = None
    try:
        _wait_for("the two healthy accounts polled",
                  lambda: count("SELECT count(*) FROM account WHERE last_polled_at IS NOT NULL")
                  == 2)
        _wait_for("the hung poll running", lambda: count(
            "SELECT count(*) FROM sm_jobs.procrastinate_jobs "
            "WHERE task_name = 'social_monitor.poll' AND status = 'doing'") == 1)
        # The healthy accounts' alerts go out first: a kill in the middle of sending one
        # leaves it "unconfirmed", counted as sent without a mail (never twice, by design),
        # which is another test's subject; on a slow machine the kill could land there.
        _wait_for("the two healthy accounts' alerts sent", lambda: len(smtp_sink.messages) >= 2)
        # when the worker is killed mid-job, and the source answers again
        first.kill()
        first.wait(timeout=WAIT)
        hung.unlink()
        hung.write_text(json.dumps({"id": "p0", "text": "Our client Acme Corp signed (#0)",
                                    "created_at": "2026-11-20T08:00:00Z"}) + "\n")
        second = start("rescuer")
        # then another worker takes the stalled job over (after procrastinate's heartbeat
        # timeout) and the hung account is polled, stored and alerted once
        _wait_for("the hung account polled by the second worker",
                  lambda: count("SELECT count(*) FROM account WHERE last_polled_at IS NOT NULL")
                  == 3, timeout=120)
        _wait_for("three alerts sent", lambda: len(smtp_sink.messages) >= 3)
        time.sleep(2)  # a few more ticks: nothing more may arrive
    finally:
        for w in (first, second):
            if w is not None and w.poll() is None:
                w.send_signal(signal.SIGTERM)
                w.wait(timeout=WAIT)
        for log in logs:
            log.close()
    assert count("SELECT count(*) FROM post") == 3
    assert count("SELECT count(*) FROM finding") == 3
    ids = Counter(m["Message-ID"] for m in smtp_sink.messages)
    assert len(ids) == 3 and set(ids.values()) == {1}
    app.engine.dispose()
