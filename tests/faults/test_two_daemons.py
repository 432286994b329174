"""Contract 10: two daemons on one database (different config folders and data dirs) — the
second refuses to run; two delivery processes on one outbox send each alert once."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from faults import COMMAND, FLAG_A, FLAG_B, World, until


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


def test_a_second_daemon_on_the_same_database_exits_non_zero(
    world: World, shared_url: str
) -> None:
    smtp = world.smtp()
    first = world.node("one", smtp, database_url=shared_url)
    second = world.node("two", smtp, database_url=shared_url)
    path = world.export(world.tmp / "amy.jsonl", [("amy-1", FLAG_A + " amymarker")])
    first.person("amy@example.com", [("file", path)])
    proc = first.start()
    until("the first daemon healthy", first.healthy)
    other = second.start()
    until("the second daemon exits", lambda: other.poll() is not None, timeout=20)
    assert other.returncode != 0
    err = second.logs()
    assert "another" in err and "running" in err, err[-500:]
    assert proc.poll() is None
    until("the alert sent", lambda: first.scalar(
        "SELECT COUNT(*) FROM alert WHERE status = 'sent'") == 1)
    assert first.stop(proc) == 0
    world.check(first)


def _sendable(node: Any) -> bool:
    rows = node.rows("SELECT status, next_attempt_at FROM alert")
    now = datetime.now(UTC)
    return bool(rows) and all(
        r.status in ("queued", "failed") and (
            r.next_attempt_at is None
            or (r.next_attempt_at if isinstance(r.next_attempt_at, datetime)
                else datetime.fromisoformat(r.next_attempt_at)).replace(tzinfo=UTC) <= now)
        for r in rows)


def test_two_delivery_processes_send_each_alert_once(world: World, shared_url: str) -> None:
    smtp = world.smtp()
    smtp.stop()  # the poll queues the alerts; the first attempt is refused
    node = world.node("n", smtp, database_url=shared_url, settings="""
[alerts]
retry_base_seconds = 1
retry_cap_seconds = 1
""")
    people = 12
    for n in range(people):
        flag = (FLAG_A, FLAG_B)[n % 2]
        path = world.export(world.tmp / f"p{n}.jsonl", [(f"p{n}-1", f"{flag} p{n}marker")])
        node.person(f"p{n}@example.com", [("file", path)])
    polled = node.cli("poll", "--once", timeout=120)
    assert polled.returncode in (0, 1), polled.stderr
    assert node.scalar("SELECT COUNT(*) FROM alert") == people
    smtp.start()
    until("every alert due", lambda: _sendable(node))
    # when two processes deliver at once
    procs = [subprocess.Popen([COMMAND, "--config", str(node.config), "alerts", "send"],
                              env=node._env(), text=True, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        node.cli_output += [out, err]
    until("every alert sent", lambda: node.scalar(
        "SELECT COUNT(*) FROM alert WHERE status = 'sent'") == people, timeout=10)
    # then each Message-ID arrived once
    assert len(smtp.messages) == people
    world.check(node)
