"""Bluesky connector on the AppView wire format served by the fake server (synthetic: no
recordings of Bluesky exist in ../shared)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from connector_support import NOW, clock

from connectors import bluesky
from connectors.base import (
    AccountRef,
    AccountUnavailable,
    BadPayload,
    ConnectorError,
    RateLimited,
    SourceUnavailable,
)
from testing.fake_api import FakeSocialAPI

HANDLE = "alice.bsky.social"


@pytest.fixture
def fake_bsky(fake_api: FakeSocialAPI) -> Iterator[tuple[FakeSocialAPI, bluesky.BlueskyConnector]]:
    connector = bluesky.build({"api_base_url": fake_api.url, "limit": 3}, clock=clock)
    yield fake_api, connector
    connector.close()


def test_repoll_with_cursor_fetches_nothing_twice(
    fake_bsky: tuple[FakeSocialAPI, bluesky.BlueskyConnector],
) -> None:
    api, connector = fake_bsky
    for i in range(5):
        api.add_post("bluesky", HANDLE, f"skeet {i}")
    account = AccountRef("bluesky", "@" + HANDLE)
    first = connector.fetch(account, None)
    assert [p.text for p in first.new] == ["skeet 2", "skeet 3", "skeet 4"]
    assert first.native_account_id == api.account("bluesky", HANDLE).native_id
    assert first.new[0].url.startswith(f"https://bsky.app/profile/{HANDLE}/post/")

    for i in range(7):
        api.add_post("bluesky", HANDLE, f"later {i}")
    second = connector.fetch(account, first.cursor)
    assert [p.text for p in second.new] == [f"later {i}" for i in range(7)]
    assert second.requests_made == 3

    third = connector.fetch(account, second.cursor)
    assert third.new == [] and third.cursor == second.cursor


def test_reposts_are_skipped(fake_bsky: tuple[FakeSocialAPI, bluesky.BlueskyConnector]) -> None:
    api, connector = fake_bsky
    api.add_post("bluesky", HANDLE, "theirs", kind="repost")
    api.add_post("bluesky", HANDLE, "mine")
    assert [p.text for p in connector.fetch(AccountRef("bluesky", HANDLE), None).new] == ["mine"]


def test_deletions_found_by_recheck(
    fake_bsky: tuple[FakeSocialAPI, bluesky.BlueskyConnector],
) -> None:
    api, connector = fake_bsky
    kept = api.add_post("bluesky", HANDLE, "kept")
    gone = api.add_post("bluesky", HANDLE, "gone")
    api.delete_post("bluesky", gone.native_id)
    result = connector.recheck(AccountRef("bluesky", HANDLE), [kept.native_id, gone.native_id])
    # getPosts leaves the deleted post out; getPostThread confirms it: 400 NotFound.
    assert result.deleted == [gone.native_id]
    assert result.missing == []
    assert result.requests_made == 2


def test_empty_batch_answer_deletes_nothing(
    fake_bsky: tuple[FakeSocialAPI, bluesky.BlueskyConnector],
) -> None:
    api, connector = fake_bsky
    ids = [api.add_post("bluesky", HANDLE, f"flagged {i}").native_id for i in range(12)]
    api.delete_post("bluesky", ids[3])
    api.answer("bluesky", '{"posts": []}', method="getPosts")
    result = connector.recheck(AccountRef("bluesky", HANDLE), ids)
    # each post's thread is asked: only the really deleted one is deleted, the posts still
    # up are neither
    assert result.deleted == [ids[3]]
    assert result.missing == []
    assert result.requests_made == 1 + 12


@pytest.mark.parametrize(
    ("thread", "deleted", "missing"),
    [
        ({"$type": "app.bsky.feed.defs#notFoundPost", "uri": "U", "notFound": True}, 1, 0),
        ({"$type": "app.bsky.feed.defs#blockedPost", "uri": "U", "blocked": True}, 0, 1),
    ],
)
def test_thread_answer_decides_per_post(
    fake_bsky: tuple[FakeSocialAPI, bluesky.BlueskyConnector],
    thread: dict[str, object],
    deleted: int,
    missing: int,
) -> None:
    api, connector = fake_bsky
    kept = api.add_post("bluesky", HANDLE, "kept")
    gone = api.add_post("bluesky", HANDLE, "gone")
    api.delete_post("bluesky", gone.native_id)
    body = json.dumps({"thread": dict(thread, uri=gone.native_id)})
    api.answer("bluesky", body, method="getPostThread")
    result = connector.recheck(AccountRef("bluesky", HANDLE), [kept.native_id, gone.native_id])
    assert (len(result.deleted), len(result.missing)) == (deleted, missing)


def test_post_still_there_by_thread_is_neither(
    fake_bsky: tuple[FakeSocialAPI, bluesky.BlueskyConnector],
) -> None:
    api, connector = fake_bsky
    one = api.add_post("bluesky", HANDLE, "one")
    two = api.add_post("bluesky", HANDLE, "two")
    # A partial getPosts answer (two left out, though it is there).
    view = {"uri": one.native_id, "record": {"text": "one"}}
    api.answer("bluesky", json.dumps({"posts": [view]}), method="getPosts")
    result = connector.recheck(AccountRef("bluesky", HANDLE), [one.native_id, two.native_id])
    assert result.deleted == [] and result.missing == []


@pytest.mark.parametrize("status", [500, 503])
def test_failed_thread_lookup_raises_and_deletes_nothing(
    fake_bsky: tuple[FakeSocialAPI, bluesky.BlueskyConnector], status: int
) -> None:
    api, connector = fake_bsky
    kept = api.add_post("bluesky", HANDLE, "kept")
    gone = api.add_post("bluesky", HANDLE, "gone")
    api.delete_post("bluesky", gone.native_id)
    api.answer("bluesky", '{"error": "InternalServerError"}', status=status, method="getPostThread")
    with pytest.raises(SourceUnavailable):
        connector.recheck(AccountRef("bluesky", HANDLE), [kept.native_id, gone.native_id])


DEEP = "[" * 200_000 + "]" * 200_000


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        '"a string"',
        "null",
        "<html>busy</html>",
        DEEP,
        '{"feed": "not a list"}',
        '{"feed": [{"post": {"uri": 5}}]}',
        '{"feed": [{"post": {"uri": "at://did:plc:x/app.bsky.feed.post/1", "record": "text"}}]}',
        '{"feed": [7]}',
    ],
)
def test_unexpected_feed_shape_is_bad_payload(
    fake_bsky: tuple[FakeSocialAPI, bluesky.BlueskyConnector], body: str
) -> None:
    api, connector = fake_bsky
    api.add_account("bluesky", HANDLE)
    api.answer("bluesky", body, method="getAuthorFeed")
    with pytest.raises(BadPayload, match=r"^bluesky: app\.bsky\.feed\.getAuthorFeed: "):
        connector.fetch(AccountRef("bluesky", HANDLE), None)


@pytest.mark.parametrize(
    ("method", "body"),
    [("getProfile", "[]"), ("getProfile", "{}"), ("getPosts", "[1]"), ("getPosts", DEEP)],
)
def test_unexpected_shape_elsewhere_is_bad_payload(
    fake_bsky: tuple[FakeSocialAPI, bluesky.BlueskyConnector], method: str, body: str
) -> None:
    api, connector = fake_bsky
    post = api.add_post("bluesky", HANDLE, "hi")
    api.answer("bluesky", body, method=method)
    with pytest.raises(BadPayload, match=r"^bluesky: "):
        if method == "getProfile":
            connector.verify(AccountRef("bluesky", HANDLE))
        else:
            connector.recheck(AccountRef("bluesky", HANDLE), [post.native_id])


def test_unusable_ids_are_dropped_and_counted(
    fake_bsky: tuple[FakeSocialAPI, bluesky.BlueskyConnector],
) -> None:
    api, connector = fake_bsky
    api.add_account("bluesky", HANDLE)
    good = "at://did:plc:x/app.bsky.feed.post/3kgood"
    uris = [good, "at://did:plc:x/app.bsky.feed.post/3k\x00nul", "at://did:plc:x/a/" + "b" * 200]
    feed = [{"post": {"uri": u, "record": {"text": "t"}}} for u in uris]
    api.answer("bluesky", json.dumps({"feed": feed}))  # NUL travels as \u0000
    result = connector.fetch(AccountRef("bluesky", HANDLE), None)
    assert [p.native_id for p in result.new] == [good]
    assert result.dropped == 2


@pytest.mark.parametrize(
    ("options", "seconds"), [({}, 86400), ({"max_retry_after_seconds": 600}, 600)]
)
def test_huge_retry_after_is_clamped(
    fake_api: FakeSocialAPI, options: dict[str, object], seconds: int
) -> None:
    connector = bluesky.build(dict(options, api_base_url=fake_api.url), clock=clock)
    fake_api.add_account("bluesky", HANDLE)
    fake_api.fail("bluesky", 429, retry_after="99999999999999")
    try:
        with pytest.raises(RateLimited) as caught:
            connector.fetch(AccountRef("bluesky", HANDLE), None)
    finally:
        connector.close()
    assert caught.value.retry_at == NOW + timedelta(seconds=seconds)


def test_rate_limit_carries_the_reset_time(
    fake_bsky: tuple[FakeSocialAPI, bluesky.BlueskyConnector],
) -> None:
    api, connector = fake_bsky
    api.add_account("bluesky", HANDLE)
    api.fail("bluesky", 429, reset_at=NOW + timedelta(minutes=5))
    with pytest.raises(RateLimited) as caught:
        connector.fetch(AccountRef("bluesky", HANDLE), None)
    assert caught.value.retry_at == NOW + timedelta(minutes=5)


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        ("suspended", "suspended", AccountUnavailable),
        ("deactivated", "deactivated", AccountUnavailable),
        (None, "not found", AccountUnavailable),
    ],
)
def test_unavailable_accounts(
    fake_bsky: tuple[FakeSocialAPI, bluesky.BlueskyConnector],
    status: str | None,
    reason: str,
    expected: type[ConnectorError],
) -> None:
    api, connector = fake_bsky
    if status:
        api.add_account("bluesky", "carol.bsky.social", status=status)
    for call in (connector.verify, lambda a: connector.fetch(a, None)):
        with pytest.raises(expected) as caught:
            call(AccountRef("bluesky", "carol.bsky.social"))
        assert isinstance(caught.value, AccountUnavailable) and caught.value.reason == reason


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_source_unavailable(
    fake_bsky: tuple[FakeSocialAPI, bluesky.BlueskyConnector], status: int
) -> None:
    api, connector = fake_bsky
    api.add_account("bluesky", HANDLE)
    api.fail("bluesky", status)
    with pytest.raises(SourceUnavailable):
        connector.fetch(AccountRef("bluesky", HANDLE), None)


def test_network_down_is_source_unavailable(dead_url: str) -> None:
    connector = bluesky.build({"api_base_url": dead_url})
    try:
        with pytest.raises(SourceUnavailable) as caught:
            connector.fetch(AccountRef("bluesky", HANDLE), None)
        host = dead_url.removeprefix("http://")
        assert str(caught.value) == f"bluesky: cannot reach {host}: connection refused"
    finally:
        connector.close()
