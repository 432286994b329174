"""Feed connector on the shapes real feeds have (issue 15, item 6).

Every payload here is synthetic, written by hand after the public shape of each kind of
feed (no recorded feed exists in ../shared): a GitHub releases Atom feed (``<link
href="/owner/repo/releases/tag/...">``, relative to the feed), double-escaped RSS titles,
a blog that gives every item the same guid, and dates no parser reads. Served at the HTTP
layer by ``httpx.MockTransport`` (no network).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from connector_support import NOW, clock

from connectors import rss
from connectors.base import AccountRef, AccountUnavailable, FetchResult

GITHUB_FEED = "https://github.com/acme/tool/releases.atom"

# Shaped as GitHub serves /<owner>/<repo>/releases.atom: entry links are relative.
GITHUB_RELEASES = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"
      xml:lang="en-US">
  <id>tag:github.com,2008:https://github.com/acme/tool/releases</id>
  <link type="text/html" rel="alternate" href="https://github.com/acme/tool/releases"/>
  <link type="application/atom+xml" rel="self"
        href="https://github.com/acme/tool/releases.atom"/>
  <title>Release notes from tool</title>
  <updated>2025-01-06T10:00:00Z</updated>
  <entry>
    <id>tag:github.com,2008:Repository/4242/v1.1.0</id>
    <updated>2025-01-06T10:00:00Z</updated>
    <link rel="alternate" type="text/html" href="/acme/tool/releases/tag/v1.1.0"/>
    <title>v1.1.0</title>
    <content type="html">&lt;p&gt;Fixes &lt;a href="/acme/tool/pull/7"&gt;#7&lt;/a&gt;&lt;/p&gt;
    </content>
    <author><name>octo</name></author>
  </entry>
  <entry>
    <id>tag:github.com,2008:Repository/4242/v1.0.0</id>
    <updated>2025-01-02T10:00:00Z</updated>
    <link rel="alternate" type="text/html" href="/acme/tool/releases/tag/v1.0.0"/>
    <title>v1.0.0</title>
    <content type="html">&lt;p&gt;First release&lt;/p&gt;</content>
    <author><name>octo</name></author>
  </entry>
</feed>
"""


def _fetch(payload: bytes, url: str, cursor: str | None = None) -> FetchResult:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=payload))
    connector = rss.FeedConnector(httpx.Client(transport=transport), clock=clock)
    try:
        return connector.fetch(AccountRef("rss", url), cursor)
    finally:
        connector.close()


def test_relative_links_resolve_against_the_feed_address() -> None:
    result = _fetch(GITHUB_RELEASES, GITHUB_FEED)
    assert [p.url for p in result.new] == [
        "https://github.com/acme/tool/releases/tag/v1.0.0",
        "https://github.com/acme/tool/releases/tag/v1.1.0",
    ]
    assert [p.text for p in result.new] == ["v1.0.0\n\nFirst release", "v1.1.0\n\nFixes #7"]


def test_entry_without_id_gets_its_absolute_link_as_id() -> None:
    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>b</title>'
        b"<item><title>T</title><link>/2025/01/hello</link><description>d</description>"
        b"<pubDate>Tue, 07 Jan 2025 10:00:00 +0000</pubDate></item></channel></rss>"
    )
    (post,) = _fetch(feed, "https://blog.example/feed.xml").new
    assert post.native_id == post.url == "https://blog.example/2025/01/hello"


def test_feed_body_that_names_a_local_file_is_never_opened(tmp_path: Path) -> None:
    """feedparser opens a string that looks like a path or URL: the body must not be one."""
    local = tmp_path / "local.xml"
    local.write_bytes(GITHUB_RELEASES)
    with pytest.raises(AccountUnavailable, match="not an RSS or Atom feed"):
        _fetch(str(local).encode(), "https://blog.example/feed.xml")


def _rss(items: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>b</title>'
        f"<link>https://blog.example/</link>{items}</channel></rss>"
    ).encode()


def test_titles_go_through_the_same_html_to_text_as_bodies() -> None:
    feed = _rss(
        "<item><guid>urn:1</guid><title>AT&amp;T &lt; 5 &lt;b&gt;bold&lt;/b&gt;</title>"
        "<description>body</description><pubDate>Tue, 07 Jan 2025 10:00:00 +0000</pubDate>"
        "</item>"
        # double-escaped: the feed escaped HTML that was escaped already
        "<item><guid>urn:2</guid><title>Q&amp;amp;A &amp;lt;i&amp;gt;now&amp;lt;/i&amp;gt;"
        "</title><description>&amp;lt;p&amp;gt;Hello &amp;amp;amp; bye&amp;lt;/p&amp;gt;"
        "</description><pubDate>Tue, 07 Jan 2025 11:00:00 +0000</pubDate></item>"
        "<item><guid>urn:3</guid><title>a &lt; b and c &gt; d</title>"
        "<pubDate>Tue, 07 Jan 2025 11:30:00 +0000</pubDate></item>"
    )
    texts = [p.text for p in _fetch(feed, "https://blog.example/feed.xml").new]
    assert texts == ["AT&T < 5 bold\n\nbody", "Q&A now\n\nHello & bye", "a < b and c > d"]


def test_a_duplicate_guid_loses_no_entry_from_the_result_or_the_cursor() -> None:
    """A blog that gives every item its home page as guid (a common misconfiguration)."""

    def item(n: int, guid: str = "https://blog.example/") -> str:
        return (
            f"<item><guid>{guid}</guid><title>Post {n}</title><link>/p/{n}</link>"
            f"<description>text {n}</description>"
            f"<pubDate>Tue, 0{n} Jan 2025 10:00:00 +0000</pubDate></item>"
        )

    first = _fetch(_rss(item(2) + item(1)), "https://blog.example/feed.xml")
    assert [p.text for p in first.new] == ["Post 1\n\ntext 1", "Post 2\n\ntext 2"]
    ids = [p.native_id for p in first.new]
    assert len(set(ids)) == 2
    assert set(json.loads(first.cursor or "")["seen"]) == set(ids)

    # A third post with the same guid: only it is new; the others keep their ids.
    second = _fetch(_rss(item(3) + item(2) + item(1)), "https://blog.example/feed.xml",
                    first.cursor)
    assert [p.text for p in second.new] == ["Post 3\n\ntext 3"]
    assert second.edited == []
    assert set(json.loads(second.cursor or "")["seen"]) == set(ids) | {second.new[0].native_id}
    third = _fetch(_rss(item(3) + item(2) + item(1)), "https://blog.example/feed.xml",
                   second.cursor)
    assert third.new == [] and third.edited == []
    # The oldest drops out of the feed: the others keep their ids, only the newest is new.
    fourth = _fetch(_rss(item(4) + item(3) + item(2)), "https://blog.example/feed.xml",
                    third.cursor)
    assert [p.text for p in fourth.new] == ["Post 4\n\ntext 4"]
    assert fourth.edited == []
    only_one_left = _fetch(_rss(item(4)), "https://blog.example/feed.xml", fourth.cursor)
    assert only_one_left.new == [] and only_one_left.edited == []


def test_the_same_entry_twice_is_one_post() -> None:
    one = ("<item><guid>urn:1</guid><title>T</title><description>d</description>"
           "<pubDate>Tue, 07 Jan 2025 10:00:00 +0000</pubDate></item>")
    result = _fetch(_rss(one + one), "https://blog.example/feed.xml")
    assert [p.native_id for p in result.new] == ["urn:1"]


def test_unreadable_date_falls_back_to_the_poll_time_and_says_so() -> None:
    feed = _rss(
        "<item><guid>urn:bad</guid><title>T</title><pubDate>le 7 janvier</pubDate></item>"
        "<item><guid>urn:none</guid><title>U</title></item>"
        "<item><guid>urn:ok</guid><title>V</title>"
        "<pubDate>Tue, 07 Jan 2025 10:00:00 +0000</pubDate></item>"
    )
    posts = {p.native_id: p for p in _fetch(feed, "https://blog.example/feed.xml").new}
    bad, none, ok = posts["urn:bad"], posts["urn:none"], posts["urn:ok"]
    assert bad.created_at == none.created_at == NOW
    assert isinstance(bad, rss.FeedPost) and isinstance(none, rss.FeedPost)
    assert bad.metadata == {
        "created_at": "poll time",
        "created_at_reason": "the feed's date 'le 7 janvier' could not be read",
    }
    assert none.metadata == {
        "created_at": "poll time",
        "created_at_reason": "the feed gives no date",
    }
    assert ok.created_at == datetime(2025, 1, 7, 10, 0, tzinfo=UTC)
    assert getattr(ok, "metadata", {}) == {}
