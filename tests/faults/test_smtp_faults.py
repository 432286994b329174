"""Contracts 9 and 11: the mail server refusing connections for longer than the retry budget
kills no alert; a permanent 550 kills only its own; kill -9 while the server holds a message
in DATA leaves that alert ``unconfirmed`` (never resent, listed, in the next digest)."""

from __future__ import annotations

import contextlib
import json

from faults import FLAG_A, FLAG_B, Node, World, body_text, until

RETRY = """
[alerts]
max_attempts = 2
retry_base_seconds = 1
retry_cap_seconds = 2
"""


def _people(world: World, node: Node, names: list[str], digest_hour: int = 8) -> None:
    for n, name in enumerate(names):
        flag = (FLAG_A, FLAG_B)[n % 2]
        path = world.export(world.tmp / f"{name}.jsonl", [(f"{name}-1", f"{flag} {name}marker")])
        node.person(f"{name}@example.com", [("file", path)], digest_hour=digest_hour)


def _statuses(node: Node) -> dict[str, str]:
    return {r.email: r.status for r in node.rows(
        "SELECT e.email, a.status FROM alert a JOIN employee e ON e.id = a.employee_id "
        "WHERE a.kind = 'immediate'")}


def test_an_smtp_outage_longer_than_the_retry_budget_kills_no_alert(world: World) -> None:
    smtp = world.smtp()
    smtp.stop()  # connection refused from the start
    node = world.node("n", smtp, settings=RETRY)
    _people(world, node, ["ann", "ben"])
    proc = node.start()
    until("2 alerts queued", lambda: len(_statuses(node)) == 2)
    until("the transport-unavailable ERROR line", lambda: any(
        line.get("event") == "alert_transport_unavailable" and line.get("level") == "ERROR"
        for line in node.log_lines()))
    # more delivery rounds than max_attempts (bounded: attempts may not count an outage)
    with contextlib.suppress(AssertionError):
        until("3 delivery attempts each", lambda: bool(node.scalar(
            "SELECT MIN(attempts) FROM alert WHERE kind = 'immediate'") >= 3), timeout=10)
    assert "dead" not in _statuses(node).values(), _statuses(node)
    # when the server comes back on the same port
    smtp.start()
    until("both alerts sent", lambda: set(_statuses(node).values()) == {"sent"})
    assert len(smtp.messages) == 2
    assert node.stop(proc) == 0
    world.check(node)


def test_a_permanent_550_kills_only_that_alert_with_the_reason(world: World) -> None:
    smtp = world.smtp()
    smtp.reject["ben@example.com"] = "550 5.1.1 ben: no such mailbox here"
    node = world.node("n", smtp, settings=RETRY)
    _people(world, node, ["ann", "ben"])
    proc = node.start()
    until("ann sent, ben dead", lambda: _statuses(node) == {
        "ann@example.com": "sent", "ben@example.com": "dead"})
    error = node.scalar("SELECT a.last_error FROM alert a JOIN employee e "
                        "ON e.id = a.employee_id WHERE e.email = 'ben@example.com'")
    assert "550" in error and "no such mailbox" in error, error
    assert [m["To"] for m in smtp.messages] == ["ann@example.com"]
    assert node.stop(proc) == 0
    world.check(node)


def test_kill_9_in_data_leaves_the_alert_unconfirmed_and_in_the_digest(world: World) -> None:
    smtp = world.smtp()
    smtp.hang_data = True
    node = world.node("n", smtp)
    _people(world, node, ["kim"], digest_hour=23)
    proc = node.start()
    until("the server holding a message in DATA", smtp.in_data.is_set)
    proc.kill()
    proc.wait(timeout=60)
    assert _statuses(node) == {"kim@example.com": "sending"}
    smtp.stop()
    smtp.hang_data = False
    smtp.start()
    again = node.start()
    # the lease of a claimed alert is smtp.timeout_seconds * 3 + 30 seconds
    until("the alert unconfirmed", lambda: _statuses(node) == {"kim@example.com": "unconfirmed"},
          timeout=120)
    alert = node.rows("SELECT id, last_error FROM alert WHERE kind = 'immediate'")[0]
    assert "unconfirmed" in alert.last_error
    listed = node.cli("alerts", "list", "--status", "unconfirmed", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    rows = rows if isinstance(rows, list) else next(v for v in rows.values()
                                                    if isinstance(v, list))
    assert [r["id"] for r in rows] == [alert.id]
    assert "unconfirmed" in json.dumps(rows[0])
    assert node.stop(again) == 0
    assert smtp.to("kim@example.com") == [], "the unconfirmed alert was sent again"
    assert _statuses(node) == {"kim@example.com": "unconfirmed"}
    # the employee's next digest lists that flag
    with node.engine().begin() as conn:
        conn.exec_driver_sql("UPDATE employee SET digest_hour = 0")
    done = node.cli("digest", "send")
    assert done.returncode == 0, done.stderr
    digests = smtp.to("kim@example.com")
    assert len(digests) == 1, done.stdout
    masked = node.scalar("SELECT masked FROM finding")
    body = body_text(digests[0])
    assert masked in body or "kimmarker" in body or "Acme" in body, body[:500]
    world.check(node)
