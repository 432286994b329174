"""Contracts 6 and 7: a poll that hits an unexpected answer (a JSON array where an object was
expected, a 429 with an absurd Retry-After, 200,000 nested brackets, an over-long id or a NUL
byte on PostgreSQL, a 10 MB post) never takes the daemon down: the other accounts are still
polled and alerted, the failing one backs off and is reported failing, input is bounded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from faults import FLAG_A, FLAG_B, Node, World, find_key, metric_errors, until

from testing.fake_api import FakeSocialAPI

FAILING_SETTINGS = """
[polling]
failing_after = 2
backoff_base_seconds = 12
backoff_cap_seconds = 12
workers = 2
"""


def _as_utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _healthy(world: World, node: Node) -> None:
    path = world.export(world.tmp / "ok.jsonl", [("ok-1", FLAG_A + " healthymarker")])
    node.person("ok@example.com", [("file", path)])


def _healthy_alerted(node: Node) -> bool:
    return bool(node.scalar(
        "SELECT COUNT(*) FROM alert a JOIN employee e ON e.id = a.employee_id "
        "WHERE e.email = 'ok@example.com' AND a.status = 'sent'"))


def _failures(node: Node, account_id: int) -> int:
    return int(node.scalar("SELECT failure_count FROM account WHERE id = :i", i=account_id))


def _failed_at(node: Node, account_id: int) -> list[datetime]:
    """When each "poll failed" line of the account was logged."""
    return [_as_utc(line["ts"]) for line in node.log_lines()
            if line.get("msg") == "poll failed" and line.get("account_id") == account_id]


def _assert_backs_off_then_degraded(world: World, node: Node, account_id: int,
                                    network: str, requests: Any = None) -> None:
    proc = node.start()
    until("the healthy account alerted", lambda: _healthy_alerted(node))
    until("a first failed poll", lambda: _failures(node, account_id) >= 1)
    row = node.rows("SELECT failure_count, next_poll_at FROM account WHERE id = :i",
                    i=account_id)[0]
    until("failing_after (2) failures", lambda: _failures(node, account_id) >= 2, timeout=40)
    until("2 'poll failed' lines", lambda: len(_failed_at(node, account_id)) >= 2)
    failed_at = _failed_at(node, account_id)
    if row.failure_count == 1:
        # back-off, by the daemon's own clock: the retry was scheduled later than the
        # failure was logged, and the second poll came no earlier than that
        retry_at = _as_utc(row.next_poll_at)
        assert retry_at > failed_at[0]
        assert failed_at[1] >= retry_at - timedelta(milliseconds=10)
    assert _as_utc(node.scalar("SELECT next_poll_at FROM account WHERE id = :i",
                               i=account_id)) > failed_at[-1]
    if requests is not None:  # one request per failed poll, not one per tick
        assert requests() <= _failures(node, account_id) + 1
    assert proc.poll() is None, "the daemon died"
    failed = [line for line in node.log_lines()
              if line.get("msg") == "poll failed" and line.get("account_id") == account_id]
    assert failed, "no 'poll failed' log line with the account id"

    def degraded() -> bool:
        status, body = node.get("/healthz")
        if status != 200:
            return False
        health = json.loads(body)
        return bool(health.get("status") == "degraded" and health.get("failing_accounts") == 1)

    until("/healthz degraded with 1 failing account", degraded, timeout=15)
    assert metric_errors(node.get("/metrics")[1], network) >= 2
    done = node.cli("status", "--json")
    assert done.returncode == 0, done.stderr
    failing = find_key(json.loads(done.stdout), "failing_accounts")
    assert failing, f"no failing_accounts in status --json: {done.stdout[:300]}"
    assert any((v == 1) if isinstance(v, int) else (len(v) == 1) for v in failing), failing
    assert node.stop(proc) == 0
    world.check(node)


def _x_node(world: World, api_url: str, extra: str = FAILING_SETTINGS) -> Node:
    smtp = world.smtp()
    return world.node("n", smtp, settings=extra + f"""
[networks.x]
api_base_url = "{api_url}"
""", env={"SOCIAL_MONITOR_X_BEARER_TOKEN": "fault-token"})


def test_a_json_array_instead_of_an_object_backs_off_and_degrades(world: World) -> None:
    with FakeSocialAPI() as api:
        api.add_post("x", "carol", world.text(FLAG_B + " carolmarker"))
        proxy = world.proxy(api.url)
        proxy.add(r"^GET /2/users/\d+/tweets", body=[1, 2, 3])
        proxy.add(r"^GET /2/users/by/username/carol", body=[{"id": "1"}])
        node = _x_node(world, proxy.url)
        _healthy(world, node)
        node.person("carol@example.com", [("x", "carol")])
        carol = node.account_id("carol")
        _assert_backs_off_then_degraded(world, node, carol, "x",
                                        requests=lambda: proxy.hits(r"^GET /2/users/"))


def test_200000_nested_brackets_in_an_export_backs_off_and_degrades(world: World) -> None:
    smtp = world.smtp()
    node = world.node("n", smtp, settings=FAILING_SETTINGS)
    _healthy(world, node)
    path = world.tmp / "deep.jsonl"
    path.write_text("[" * 200_000 + "]" * 200_000 + "\n", encoding="utf-8")
    node.person("deep@example.com", [("file", str(path))])
    _assert_backs_off_then_degraded(world, node, node.account_id(str(path)), "file")


def test_a_429_with_a_huge_retry_after_rests_at_most_a_day(world: World) -> None:
    with FakeSocialAPI() as api:
        api.add_post("x", "dave", world.text(FLAG_B + " davemarker"))
        proxy = world.proxy(api.url)
        rule = proxy.add(r"^GET /2/", status=429, body={"title": "Too Many Requests"},
                         headers={"Retry-After": "99999999999999"})
        node = _x_node(world, proxy.url)
        _healthy(world, node)
        node.person("dave@example.com", [("x", "dave")])
        dave = node.account_id("dave")
        proc = node.start()
        until("the healthy account alerted", lambda: _healthy_alerted(node))
        until("the 429 seen and recorded", lambda: rule.hits >= 1 and bool(node.scalar(
            "SELECT COUNT(*) FROM account WHERE id = :i AND failure_count >= 1 "
            "AND next_poll_at > :now", i=dave, now=datetime.now(UTC).replace(tzinfo=None))))
        when = _as_utc(node.scalar("SELECT next_poll_at FROM account WHERE id = :i", i=dave))
        assert datetime.now(UTC) < when <= datetime.now(UTC) + timedelta(days=1, minutes=5)
        assert proc.poll() is None, "the daemon died"
        assert any(line.get("msg") == "poll failed" and line.get("account_id") == dave
                   for line in node.log_lines())
        assert metric_errors(node.get("/metrics")[1], "x") >= 1
        assert node.stop(proc) == 0
        world.check(node)


def test_a_10_mb_post_is_stored_and_classified_by_its_head(world: World) -> None:
    smtp = world.smtp()
    node = world.node("n", smtp)
    words = " ".join(f"word{n % 9973}" for n in range(1_400_000))  # about 10 MB
    big = FLAG_A + " bigmarker " + words
    assert len(big.encode()) > 10_000_000
    path = world.export(world.tmp / "big.jsonl", [("big-1", big)])
    node.person("big@example.com", [("file", path)])
    proc = node.start()
    until("the big post's alert sent", lambda: bool(node.scalar(
        "SELECT COUNT(*) FROM alert WHERE status = 'sent'")), timeout=90)
    text = node.scalar("SELECT text FROM post WHERE native_id = 'big-1'")
    assert text is not None and len(text.encode("utf-8")) <= 102400
    assert text.startswith(FLAG_A)
    explanations = [r.explanation for r in node.rows("SELECT explanation FROM finding")]
    assert explanations and all("first" in e for e in explanations), explanations
    assert node.stop(proc) == 0
    world.check(node)


@pytest.mark.postgres
def test_long_ids_and_nul_bytes_on_postgresql_never_stop_the_daemon(
    world: World, pg_url: str
) -> None:
    smtp = world.smtp()
    node = world.node("n", smtp, database_url=pg_url, settings=FAILING_SETTINGS)
    _healthy(world, node)
    path = world.export(world.tmp / "odd.jsonl", [
        ("L" * 200, FLAG_B + " longidmarker"),
        ("nul\x00id", FLAG_B + " nulidmarker"),
        ("odd-text", FLAG_A + " nul\x00textmarker"),
        ("odd-good", FLAG_B + " goodmarker"),
    ])
    node.person("odd@example.com", [("file", path)])
    odd = node.account_id(path)
    proc = node.start()
    until("the healthy account alerted", lambda: _healthy_alerted(node))

    def settled() -> bool:  # either the good posts are in, or the account backs off
        stored = node.scalar("SELECT COUNT(*) FROM post WHERE account_id = :i", i=odd)
        return bool(stored) or _failures(node, odd) >= 1

    until("the odd account settled", settled)
    assert proc.poll() is None, "the daemon died"
    ids = [r.native_id for r in node.rows(
        "SELECT native_id FROM post WHERE account_id = :i", i=odd)]
    if ids:
        assert "odd-good" in ids
        assert all(len(i) <= 128 and "\x00" not in i for i in ids), ids
    else:
        row = node.rows("SELECT next_poll_at FROM account WHERE id = :i", i=odd)[0]
        assert _as_utc(row.next_poll_at) > datetime.now(UTC)
        assert any(line.get("msg") == "poll failed" and line.get("account_id") == odd
                   for line in node.log_lines())
    assert node.stop(proc) == 0
    world.check(node)
