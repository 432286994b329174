"""The fake API server itself: its Python API, failure modes and request counting."""

from __future__ import annotations

import httpx
import pytest

from testing.fake_api import FakeSocialAPI


def test_starts_on_a_free_loopback_port_and_stops() -> None:
    with FakeSocialAPI() as one, FakeSocialAPI() as two:
        assert one.url.startswith("http://127.0.0.1:") and one.url != two.url
        with httpx.Client(base_url=one.url) as http:
            assert http.get("/api/v1/instance").status_code == 200


def test_counts_requests_per_account(fake_api: FakeSocialAPI) -> None:
    fake_api.add_post("bluesky", "a.test", "hi")
    fake_api.add_account("bluesky", "b.test")
    with httpx.Client(base_url=fake_api.url) as http:
        for _ in range(3):
            http.get("/xrpc/app.bsky.feed.getAuthorFeed", params={"actor": "a.test"})
        http.get("/xrpc/app.bsky.actor.getProfile", params={"actor": "b.test"})
    assert fake_api.requests_for("bluesky", "a.test") == 3
    assert fake_api.requests_for("bluesky", "b.test") == 1
    assert fake_api.requests_total("bluesky") == 4
    fake_api.reset_counts()
    assert fake_api.requests_total() == 0


def test_failures_are_consumed_in_order_and_scoped(fake_api: FakeSocialAPI) -> None:
    fake_api.add_account("rss", "a")
    fake_api.add_account("rss", "b")
    fake_api.fail("rss", 503, times=2, handle="a")
    with httpx.Client(base_url=fake_api.url) as http:
        assert http.get("/feeds/b.xml").status_code == 200  # another account: unaffected
        assert [http.get("/feeds/a.xml").status_code for _ in range(3)] == [503, 503, 200]


def test_rejects_unknown_network_and_status() -> None:
    api = FakeSocialAPI()
    try:
        with pytest.raises(ValueError, match="network"):
            api.add_account("myspace", "tom")
        with pytest.raises(ValueError, match="status"):
            api.add_account("x", "tom", status="banned")
    finally:
        api.stop()


def test_many_accounts_are_cheap(fake_api: FakeSocialAPI) -> None:
    # The scale benchmark will hold 10,000 accounts; building them must stay quick.
    for i in range(2000):
        fake_api.add_post("x", f"user{i}", "hello")
    with httpx.Client(base_url=fake_api.url) as http:
        account = fake_api.account("x", "user1999")
        answer = http.get(f"/2/users/{account.native_id}/tweets").json()
    assert answer["meta"]["result_count"] == 1


def test_x_tweets_are_written_as_x_writes_them(fake_api: FakeSocialAPI) -> None:
    """Synthetic: links become t.co links listed in entities.urls, & < > are escaped, a post
    over 280 characters is cut with its whole text in note_tweet (each only when asked)."""
    long_text = "y" * 300 + " & https://intranet.corp.example/doc"
    fake_api.add_post("x", "alice", "Q&A <now> https://wiki.corp.example/a?b=1&c=2")
    fake_api.add_post("x", "alice", long_text)
    account = fake_api.account("x", "alice")
    with httpx.Client(base_url=fake_api.url) as http:
        plain = http.get(f"/2/users/{account.native_id}/tweets").json()["data"]
        full = http.get(
            f"/2/users/{account.native_id}/tweets",
            params={"tweet.fields": "entities,note_tweet"},
        ).json()["data"]
    [long_plain, short_plain] = plain
    assert short_plain["text"].startswith("Q&amp;A &lt;now&gt; https://t.co/")
    assert "entities" not in short_plain and "note_tweet" not in long_plain
    assert len(long_plain["text"]) == 280 and long_plain["text"].endswith("…")
    [long_full, short_full] = full
    [link] = short_full["entities"]["urls"]
    assert link["url"] in short_full["text"]
    assert link["expanded_url"] == "https://wiki.corp.example/a?b=1&c=2"
    note = long_full["note_tweet"]
    assert note["text"].startswith("y" * 300 + " &amp; https://t.co/")
    assert note["entities"]["urls"][0]["expanded_url"] == "https://intranet.corp.example/doc"


def test_reddit_requests_user_agent_is_recorded(fake_api: FakeSocialAPI) -> None:
    fake_api.add_account("reddit", "alice")
    with httpx.Client(base_url=fake_api.url, headers={"User-Agent": "a:b:1 (by /u/c)"}) as http:
        http.get("/user/alice/about")
    assert fake_api.user_agents["reddit"] == "a:b:1 (by /u/c)"
