"""Feed connector on RSS 2.0 and Atom served by the fake server (synthetic), plus
(payload, expected posts, expected cursor) rows on hand-written feeds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from connector_support import clock

from connectors import rss
from connectors.base import AccountRef, AccountUnavailable, RateLimited, SourceUnavailable
from testing.fake_api import FakeSocialAPI


@pytest.fixture
def fake_feed(fake_api: FakeSocialAPI) -> Iterator[tuple[FakeSocialAPI, rss.FeedConnector]]:
    connector = rss.build({}, clock=clock)
    yield fake_api, connector
    connector.close()


@pytest.mark.parametrize("suffix", [".xml", ".atom"])
def test_conditional_get_and_no_duplicates(
    fake_feed: tuple[FakeSocialAPI, rss.FeedConnector], suffix: str
) -> None:
    api, connector = fake_feed
    for i in range(3):
        api.add_post("rss", "alice", f"entry {i}", title=f"Post {i}")
    account = AccountRef("rss", f"{api.url}/feeds/alice{suffix}")

    first = connector.fetch(account, None)
    assert [p.text for p in first.new] == [f"Post {i}\n\nentry {i}" for i in range(3)]
    assert all(p.created_at.tzinfo is UTC for p in first.new)
    assert json.loads(first.cursor or "")["etag"]

    unchanged = connector.fetch(account, first.cursor)  # answered 304
    assert not unchanged.new and unchanged.cursor == first.cursor

    api.add_post("rss", "alice", "entry 3", title="Post 3")
    second = connector.fetch(account, first.cursor)
    assert [p.text for p in second.new] == ["Post 3\n\nentry 3"]
    assert second.edited == []


def test_changed_entry_is_edited(fake_feed: tuple[FakeSocialAPI, rss.FeedConnector]) -> None:
    api, connector = fake_feed
    post = api.add_post("rss", "alice", "before", title="T")
    account = AccountRef("rss", f"{api.url}/feeds/alice.atom")
    first = connector.fetch(account, None)
    api.edit_post("rss", post.native_id, "after")
    second = connector.fetch(account, first.cursor)
    assert second.new == []
    assert [p.text for p in second.edited] == ["T\n\nafter"]
    assert second.edited[0].edited_at is not None


def test_recheck_deleted_only_when_the_entry_page_is_gone(
    fake_feed: tuple[FakeSocialAPI, rss.FeedConnector],
) -> None:
    api, connector = fake_feed
    kept = api.add_post("rss", "alice", "kept")
    gone = api.add_post("rss", "alice", "gone")
    api.delete_post("rss", gone.native_id)
    account = AccountRef("rss", f"{api.url}/feeds/alice.xml")
    result = connector.recheck(account, [kept.native_id, gone.native_id, "urn:uuid:1234"])
    assert result.deleted == [gone.native_id]


RSS_ROWS = [
    (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>b</title>'
        b"<item><guid>urn:1</guid><title>Hi</title><description>&lt;p&gt;Hello &amp;amp; bye"
        b"&lt;/p&gt;</description><pubDate>Tue, 07 Jan 2025 10:00:00 +0100</pubDate></item>"
        b"</channel></rss>",
        [("urn:1", "Hi\n\nHello & bye", datetime(2025, 1, 7, 9, 0, tzinfo=UTC))],
    ),
    (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>b</title>'
        b"<entry><id>tag:b,2025:1</id><title>No date</title>"
        b'<content type="text">plain</content></entry></feed>',
        [("tag:b,2025:1", "No date\n\nplain", datetime(2025, 1, 7, 12, 0, tzinfo=UTC))],
    ),
]


@pytest.mark.parametrize(("payload", "expected"), RSS_ROWS)
def test_payload_rows(
    tmp_path: object, payload: bytes, expected: list[tuple[str, str, datetime]]
) -> None:
    import httpx

    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, content=payload, headers={"ETag": '"e1"'})
    )
    connector = rss.FeedConnector(httpx.Client(transport=transport), clock=clock)
    try:
        result = connector.fetch(AccountRef("rss", "https://blog.example/feed"), None)
    finally:
        connector.close()
    assert [(p.native_id, p.text, p.created_at) for p in result.new] == expected
    state = json.loads(result.cursor or "")
    assert state["etag"] == '"e1"' and set(state["seen"]) == {e[0] for e in expected}


@pytest.mark.parametrize(
    ("setup", "expected", "reason"),
    [
        ("unknown", AccountUnavailable, "not found"),
        ("protected", AccountUnavailable, "not public (HTTP 403)"),
        ("suspended", AccountUnavailable, "gone"),
        ("fail-401", AccountUnavailable, "not public (HTTP 401)"),
        ("fail-500", SourceUnavailable, None),
        ("fail-429", RateLimited, None),
    ],
)
def test_errors_map_to_our_types(
    fake_feed: tuple[FakeSocialAPI, rss.FeedConnector],
    setup: str,
    expected: type[Exception],
    reason: str | None,
) -> None:
    api, connector = fake_feed
    if setup != "unknown":
        api.add_account(
            "rss", "carol", status=setup if setup in ("protected", "suspended") else "active"
        )
    if setup.startswith("fail-"):
        api.fail("rss", int(setup[5:]), retry_after=60)
    with pytest.raises(expected) as caught:
        connector.fetch(AccountRef("rss", f"{api.url}/feeds/carol.xml"), None)
    if reason is not None:
        assert isinstance(caught.value, AccountUnavailable) and caught.value.reason == reason


def test_not_a_feed(fake_feed: tuple[FakeSocialAPI, rss.FeedConnector]) -> None:
    api, connector = fake_feed
    post = api.add_post("rss", "alice", "an HTML page, not a feed")
    with pytest.raises(AccountUnavailable, match="not an RSS or Atom feed"):
        connector.verify(AccountRef("rss", post.native_id))


def test_handle_must_be_an_address(fake_feed: tuple[FakeSocialAPI, rss.FeedConnector]) -> None:
    _, connector = fake_feed
    with pytest.raises(AccountUnavailable, match="http"):
        connector.fetch(AccountRef("rss", "blog.example.com"), None)


def test_network_down_is_source_unavailable(dead_url: str) -> None:
    connector = rss.build({"timeout_seconds": 2})
    try:
        with pytest.raises(SourceUnavailable) as caught:
            connector.fetch(AccountRef("rss", f"{dead_url}/feed.xml"), None)
        host = dead_url.removeprefix("http://")
        assert str(caught.value) == f"rss: cannot reach {host}: connection refused"
    finally:
        connector.close()


@pytest.mark.parametrize("status", [500, 503])
def test_failed_entry_fetch_is_never_a_deletion(
    fake_feed: tuple[FakeSocialAPI, rss.FeedConnector], status: int
) -> None:
    api, connector = fake_feed
    old = api.add_post("rss", "alice", "old entry")
    account = AccountRef("rss", f"{api.url}/feeds/alice.xml")
    for i in range(25):  # push the old entry out of the feed (it shows the latest 20)
        api.add_post("rss", "alice", f"newer {i}")
    api.fail("rss", status, times=1, handle="alice")
    with pytest.raises(SourceUnavailable):  # the feed itself failed
        connector.recheck(account, [old.native_id])
    api.delete_post("rss", old.native_id)
    api.answer("rss", "busy", status=status, method="/entries/", content_type="text/plain")
    with pytest.raises(SourceUnavailable):  # the entry's own page failed
        connector.recheck(account, [old.native_id])
    assert connector.recheck(account, [old.native_id]).deleted == [old.native_id]
