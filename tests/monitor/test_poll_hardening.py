"""The poller against a hostile world: shared ids, huge posts, bad ids, crashing sources,
empty re-check answers. On SQLite and the real PostgreSQL.

Exports are synthetic JSONL files written here; the crashing and re-check sources are small
connector plug-ins (the connector interface is the seam the daemon itself uses).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from connectors.base import AccountRef, Connector, FetchedPost, FetchResult, RateLimited
from monitor.app import App
from monitor.people import employees
from monitor.polling import report, store
from monitor.service import status
from monitor.storage.db import session_scope
from monitor.storage.models import AccountRow, FindingRow, PostRow

LEAK = "our client Acme Corp signed with us today"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _export(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _person(app: App, email: str, network: str, handle: str) -> int:
    with session_scope(app.engine) as s:
        employees.add_employee(s, email, email.split("@")[0])
        employees.opt_in(s, email)
        return employees.link_account(s, email, network, handle).id or 0


def _poll(app: App, account_id: int, connector_for: Callable[[str], Connector] | None = None,
          now: datetime = NOW) -> report.PollReport:
    return app.poller(connector_for=connector_for).poll_account(account_id, now=now)


def _posts(app: App) -> list[PostRow]:
    with Session(app.engine) as s:
        return list(s.exec(select(PostRow).order_by(PostRow.id)))


def test_two_employees_with_the_same_native_id_keep_their_own_posts(
    make_app: Any, db_url: str, tmp_path: Path
) -> None:
    # given two exports that both hold id "same-1"
    app = make_app(db_url)
    a = _person(app, "ana@example.com", "file",
                str(_export(tmp_path / "ana.jsonl", [{"id": "same-1", "text": "Ana: " + LEAK,
                                                      "created_at": "2026-11-20T08:00:00Z"}])))
    b = _person(app, "ben@example.com", "file",
                str(_export(tmp_path / "ben.jsonl", [{"id": "same-1", "text": "Ben's own words",
                                                      "created_at": "2026-11-20T09:00:00Z"}])))
    # when both are polled
    assert _poll(app, a).new_posts == 1
    assert _poll(app, b).new_posts == 1
    # then there are two posts, each with its owner's text
    assert {(p.account_id, p.text) for p in _posts(app)} == {
        (a, "Ana: " + LEAK), (b, "Ben's own words")}
    # and a second poll of either stores nothing again
    assert _poll(app, a, now=NOW + timedelta(hours=1)).new_posts == 0
    # when Ben opts out, Ana's post stays and Ben's text is gone from the post table
    with session_scope(app.engine) as s:
        employees.opt_out(s, "ben@example.com")
    assert [(p.account_id, p.text) for p in _posts(app)] == [(a, "Ana: " + LEAK)]


def test_a_huge_post_is_cut_to_its_head_and_the_finding_says_so(
    make_app: Any, db_url: str, tmp_path: Path
) -> None:
    app = make_app(db_url)
    huge = LEAK + " " + "é" * (5 * 1024 * 1024)  # 10 MB of UTF-8
    acc = _person(app, "ana@example.com", "file", str(_export(
        tmp_path / "ana.jsonl", [{"id": "big", "text": huge, "created_at": "2026-11-20T08:00Z"}])))
    report = _poll(app, acc)
    assert report.outcome == "ok" and report.new_posts == 1
    (post,) = _posts(app)
    assert post.text is not None and huge.startswith(post.text)
    assert len(post.text.encode("utf-8")) <= app.config.settings.polling.max_text_bytes
    with Session(app.engine) as s:
        findings = list(s.exec(select(FindingRow)))
    assert findings, "the leak at the head is still found"
    assert all("only its first 100 KB were checked" in f.explanation for f in findings)


def test_bad_ids_are_skipped_and_nul_characters_do_not_break_storage(
    make_app: Any, db_url: str, tmp_path: Path
) -> None:
    app = make_app(db_url)
    rows = [
        {"id": "x" * 129, "text": "too long an id", "created_at": "2026-11-20T08:00:00Z"},
        {"id": "ok-1", "text": "a NUL \x00 inside", "created_at": "2026-11-20T08:01:00Z"},
    ]
    acc = _person(app, "ana@example.com", "file", str(_export(tmp_path / "a.jsonl", rows)))
    report = _poll(app, acc)
    assert report.outcome == "ok", report.error
    # dropped by the connector, or else by the poller: counted either way
    assert report.extra.get("dropped_by_source", 0) + report.extra.get("skipped_bad_id", 0) == 1
    assert [(p.native_id, p.text) for p in _posts(app)] == [("ok-1", "a NUL \ufffd inside")]


class _Crashing:
    """A source whose answer makes the connector fail in a way no one planned for."""

    network = "file"

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def fetch(self, account: AccountRef, cursor: str | None) -> FetchResult:
        raise self.exc

    def recheck(self, account: AccountRef, native_ids: Sequence[str]) -> FetchResult:
        raise self.exc

    def verify(self, account: AccountRef) -> AccountRef:
        return account

    def close(self) -> None:
        pass


@pytest.mark.parametrize("exc", [AttributeError("'list' object has no attribute 'get'"),
                                 OverflowError("date value out of range"),
                                 RecursionError("maximum recursion depth exceeded")],
                         ids=["AttributeError", "OverflowError", "RecursionError"])
def test_an_unexpected_exception_is_contained_backed_off_and_marked_failing(
    make_app: Any, tmp_path: Path, exc: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(polling={"failing_after": 3})
    acc = _person(app, "ana@example.com", "file", str(_export(tmp_path / "a.jsonl", [
        {"id": "1", "text": "a quiet day", "created_at": "2026-11-20T08:00:00Z"}])))
    crashing = _Crashing(exc)
    now = NOW
    for n in range(1, 4):
        report = _poll(app, acc, lambda _n: crashing, now=now)
        assert report.outcome == "crashed"
        with Session(app.engine) as s:
            account = s.get(AccountRow, acc)
            assert account is not None and account.next_poll_at is not None
            assert account.failure_count == n
            # backed off: not due again at the next tick
            assert account.next_poll_at > now + timedelta(seconds=30)
            now = account.next_poll_at
    with session_scope(app.engine) as s:
        (failing,) = status.list_failing(s)
    assert failing["account_id"] == acc and type(exc).__name__ in failing["reason"]
    assert any(r.msg == "poll failed" and getattr(r, "account_id", None) == acc
               for r in caplog.records)
    # a good poll clears the mark
    assert _poll(app, acc, now=now).outcome == "ok"
    with session_scope(app.engine) as s:
        assert status.list_failing(s) == []


def test_a_huge_retry_after_rests_at_most_the_configured_maximum(
    make_app: Any, tmp_path: Path
) -> None:
    app = make_app()
    acc = _person(app, "ana@example.com", "file", str(_export(tmp_path / "a.jsonl", [])))
    limited = _Crashing(RateLimited(datetime(9999, 1, 1, tzinfo=UTC)))
    report = _poll(app, acc, lambda _n: limited)
    assert report.outcome == "rate_limited"
    assert report.retry_at == NOW + timedelta(seconds=86400)


class _Recheck:
    """A source answering re-checks with what the test says (and polls with ``posts``)."""

    network = "file"

    def __init__(self, posts: list[FetchedPost]) -> None:
        self.posts = posts
        self.answer = FetchResult()

    def fetch(self, account: AccountRef, cursor: str | None) -> FetchResult:
        return FetchResult(new=self.posts, cursor="c")

    def recheck(self, account: AccountRef, native_ids: Sequence[str]) -> FetchResult:
        return self.answer

    def verify(self, account: AccountRef) -> AccountRef:
        return account

    def close(self) -> None:
        pass


def _open(app: App) -> int:
    with Session(app.engine) as s:
        return int(s.exec(select(sa.func.count()).select_from(FindingRow)
                          .where(FindingRow.status == "open")).one())


def test_deletions_need_confirmation_never_an_empty_answer(
    make_app: Any, db_url: str, tmp_path: Path
) -> None:
    # given three flagged posts
    app = make_app(db_url)
    acc = _person(app, "ana@example.com", "file", str(tmp_path / "unused.jsonl"))
    source = _Recheck([FetchedPost(f"p{i}", f"{LEAK} #{i}", NOW) for i in range(3)])
    _poll(app, acc, lambda _n: source)
    assert _open(app) == 3
    ids = ["p0", "p1", "p2"]

    def recheck(answer: FetchResult) -> report.PollReport:
        source.answer = answer
        return app.poller(connector_for=lambda _n: source).recheck_account(acc, ids, now=NOW)

    # an answer that holds none of the posts (Bluesky's {"posts": []}) closes nothing, ever
    for _ in range(3):
        recheck(FetchResult(missing=ids))
    assert _open(app) == 3
    # one miss in a partial answer is not enough; two in a row are
    recheck(FetchResult(missing=["p0"]))
    assert _open(app) == 3
    recheck(FetchResult(missing=["p0"]))
    assert _open(app) == 2
    # a miss, then the post seen again, then a miss: never two in a row
    recheck(FetchResult(missing=["p1"]))
    recheck(FetchResult())
    recheck(FetchResult(missing=["p1"]))
    assert _open(app) == 2
    # a per-post "not found" is confirmation at once
    report = recheck(FetchResult(deleted=["p2"]))
    assert report.resolved == 1 and _open(app) == 1
    with Session(app.engine) as s:
        resolutions = {f.resolution for f in s.exec(select(FindingRow)) if f.status == "resolved"}
    assert resolutions == {"post_deleted"}


def test_bound_post_is_the_poller_s_own_guard_whatever_a_connector_sends() -> None:
    post = FetchedPost("ok", "é" * 200_000, NOW, url="https://x.example/" + "a" * 3000,
                       group_id="g\x00")
    assert store.bound_post(FetchedPost("x" * 129, "t", NOW), 102400, 128) is None
    assert store.bound_post(FetchedPost("a\x00b", "t", NOW), 102400, 128) is None
    bounded = store.bound_post(post, 102400, 128)
    assert bounded is not None
    kept, cut = bounded
    assert cut and len(kept.text.encode()) <= 102400 and post.text.startswith(kept.text)
    assert kept.url == "" and kept.group_id is None
    same = FetchedPost("ok", "short", NOW)
    assert store.bound_post(same, 102400, 128) == (same, False)
