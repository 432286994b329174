"""X connector: real recorded answers replayed through tweepy, then synthetic cases on the
local fake server (rate limits, pages, since_id, protected/suspended, edits, deletions)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from connector_support import NOW, clock, replay

from connectors import x
from connectors._http import HostUnreachable
from connectors.base import (
    AccountRef,
    AccountUnavailable,
    AuthFailed,
    BadPayload,
    ConnectorError,
    RateLimited,
    SourceUnavailable,
)
from testing.fake_api import FakeSocialAPI

TOKEN = "test-bearer-token"


@pytest.fixture
def tweepy_dir(shared_data: Path) -> Path:
    return shared_data / "recorded_api" / "tweepy"


@pytest.fixture
def recorded() -> Iterator[x.XConnector]:
    connector = x.XConnector(x.make_client({"bearer_token": TOKEN}), clock=clock)
    yield connector
    connector.close()


@pytest.fixture
def fake_x(fake_api: FakeSocialAPI) -> Iterator[tuple[FakeSocialAPI, x.XConnector]]:
    fake_api.require_token("x", TOKEN)
    options = {"api_base_url": fake_api.url, "bearer_token": TOKEN, "max_results": 5}
    connector = x.XConnector(x.make_client(options), max_results=5, clock=clock)
    yield fake_api, connector
    connector.close()


# -- real recorded answers -------------------------------------------------------------------


def test_recorded_timeline_gives_posts_and_cursor(recorded: x.XConnector, tweepy_dir: Path) -> None:
    with replay(tweepy_dir / "test_client_get_users_tweets.yaml", match_query=False):
        result = recorded.fetch(AccountRef("x", "Twitter", "783214"), None)

    assert [p.native_id for p in result.new] == ["1565318587736285184", "1577730467436138524"]
    assert result.edited == []
    assert result.cursor == "1577730467436138524"  # meta.newest_id of the real answer
    assert all(p.group_id == p.native_id for p in result.new)
    # The recording has no created_at: the time comes from the snowflake id, in UTC.
    assert result.new[0].created_at == datetime(2022, 9, 1, 12, 40, 8, 186000, tzinfo=UTC)
    assert all(p.created_at.tzinfo is UTC for p in result.new)
    assert result.new[1].url == "https://x.com/Twitter/status/1577730467436138524"
    # First poll reads one page even though the recording offers a next_token.
    assert result.requests_made == 1


def test_recorded_user_lookup_resolves_the_id(recorded: x.XConnector, tweepy_dir: Path) -> None:
    with replay(tweepy_dir / "test_client_get_user.yaml", match_query=False):
        verified = recorded.verify(AccountRef("x", "@Twitter"))
    assert verified.native_id == "783214"


def test_recorded_tweet_lookup_finds_both_tweets(recorded: x.XConnector, tweepy_dir: Path) -> None:
    ids = ["1293593516040269825", "1293595870563381249"]
    with replay(tweepy_dir / "test_client_get_tweets.yaml", match_query=False):
        result = recorded.recheck(AccountRef("x", "TwitterDev", "2244994945"), ids)
    assert result.deleted == []
    assert result.edited == []


# -- synthetic: the fake server speaks the same wire format --------------------------------


def test_repoll_with_cursor_fetches_nothing_twice(
    fake_x: tuple[FakeSocialAPI, x.XConnector],
) -> None:
    api, connector = fake_x
    for i in range(7):
        api.add_post("x", "alice", f"first {i}")
    account = AccountRef("x", "alice")

    first = connector.fetch(account, None)
    assert len(first.new) == 5  # the newest page only: a baseline
    assert first.native_account_id == api.account("x", "alice").native_id
    account = AccountRef("x", "alice", first.native_account_id)

    for i in range(12):
        api.add_post("x", "alice", f"second {i}")
    second = connector.fetch(account, first.cursor)
    assert [p.text for p in second.new] == [f"second {i}" for i in range(12)]
    assert second.requests_made == 3  # 12 tweets at 5 a page

    third = connector.fetch(account, second.cursor)
    assert third.new == [] and third.edited == []
    assert third.cursor == second.cursor


def test_retweets_are_skipped(fake_x: tuple[FakeSocialAPI, x.XConnector]) -> None:
    api, connector = fake_x
    api.add_post("x", "alice", "RT @bob: not my words", kind="repost")
    mine = api.add_post("x", "alice", "my words")
    result = connector.fetch(AccountRef("x", "alice"), None)
    assert [p.native_id for p in result.new] == [mine.native_id]


def test_edit_is_a_new_id_in_the_same_group(fake_x: tuple[FakeSocialAPI, x.XConnector]) -> None:
    api, connector = fake_x
    original = api.add_post("x", "alice", "draft")
    account = AccountRef("x", "alice", api.account("x", "alice").native_id)
    first = connector.fetch(account, None)

    newer = api.edit_post("x", original.native_id, "final")
    after_edit = connector.fetch(account, first.cursor)
    assert after_edit.new == []
    [edited] = after_edit.edited
    assert (edited.native_id, edited.group_id, edited.text) == (
        newer.native_id,
        original.native_id,
        "final",
    )
    assert edited.edited_at is not None

    # A recheck of the flagged original finds the newer version too.
    rechecked = connector.recheck(account, [original.native_id])
    assert [p.native_id for p in rechecked.edited] == [newer.native_id]
    assert rechecked.deleted == []


def test_deleted_tweet_is_reported_by_recheck(fake_x: tuple[FakeSocialAPI, x.XConnector]) -> None:
    api, connector = fake_x
    kept = api.add_post("x", "alice", "kept")
    gone = api.add_post("x", "alice", "regretted")
    api.delete_post("x", gone.native_id)
    result = connector.recheck(AccountRef("x", "alice"), [kept.native_id, gone.native_id])
    assert result.deleted == [gone.native_id]
    assert result.edited == []


def test_rate_limit_carries_the_reset_time(fake_x: tuple[FakeSocialAPI, x.XConnector]) -> None:
    api, connector = fake_x
    api.add_post("x", "alice", "hello")
    reset = NOW + timedelta(minutes=15)
    api.fail("x", 429, reset_at=reset)
    with pytest.raises(RateLimited) as caught:
        connector.fetch(AccountRef("x", "alice", api.account("x", "alice").native_id), None)
    assert caught.value.retry_at == reset


def test_far_rate_limit_reset_is_clamped(fake_x: tuple[FakeSocialAPI, x.XConnector]) -> None:
    api, connector = fake_x
    api.add_post("x", "alice", "hello")
    api.fail("x", 429, reset_at=datetime(9999, 12, 31, tzinfo=UTC))
    with pytest.raises(RateLimited) as caught:
        connector.fetch(AccountRef("x", "alice", api.account("x", "alice").native_id), None)
    assert caught.value.retry_at == NOW + timedelta(days=1)


def _not_found(tweet_id: str) -> dict[str, str]:
    return {
        "value": tweet_id,
        "resource_id": tweet_id,
        "title": "Not Found Error",
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


def test_absent_without_error_is_missing_not_deleted(
    fake_x: tuple[FakeSocialAPI, x.XConnector],
) -> None:
    api, connector = fake_x
    kept = api.add_post("x", "alice", "kept")
    gone = api.add_post("x", "alice", "gone")
    silent = api.add_post("x", "alice", "left out")
    hidden = api.add_post("x", "alice", "protected now")
    tweet = {"id": kept.native_id, "text": "kept", "edit_history_tweet_ids": [kept.native_id]}
    protected = {
        "resource_id": hidden.native_id,
        "title": "Authorization Error",
        "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
    }
    body = {"data": [tweet], "errors": [_not_found(gone.native_id), protected]}
    api.answer("x", json.dumps(body), method="/2/tweets")
    ids = [kept.native_id, gone.native_id, silent.native_id, hidden.native_id]
    result = connector.recheck(AccountRef("x", "alice"), ids)
    assert result.deleted == [gone.native_id]
    assert result.missing == [silent.native_id]


def test_empty_lookup_answer_deletes_nothing(fake_x: tuple[FakeSocialAPI, x.XConnector]) -> None:
    api, connector = fake_x
    ids = [api.add_post("x", "alice", f"flagged {i}").native_id for i in range(12)]
    api.answer("x", "{}", method="/2/tweets")
    result = connector.recheck(AccountRef("x", "alice"), ids)
    assert result.deleted == [] and result.missing == ids


DEEP = "[" * 200_000 + "]" * 200_000


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        "null",
        '"a string"',
        "<html>over capacity</html>",
        DEEP,
        '{"data": "x"}',
        '{"data": [1]}',
        '{"data": [{"id": "1", "text": "t", "edit_history_tweet_ids": ["1"]}], "meta": "x"}',
        '{"errors": "x"}',
        '{"data": [{"id": "1\\u0000", "text": "t"}]}',  # tweepy makes every id an int
    ],
)
def test_unexpected_timeline_shape_is_bad_payload(
    fake_x: tuple[FakeSocialAPI, x.XConnector], body: str
) -> None:
    api, connector = fake_x
    api.add_account("x", "alice")
    api.answer("x", body, method="/2/users/")
    with pytest.raises(BadPayload, match=r"^x: timeline: "):
        connector.fetch(AccountRef("x", "alice", api.account("x", "alice").native_id), "1")


@pytest.mark.parametrize("body", ["[]", "null", DEEP, '{"data": [1]}'])
def test_unexpected_lookup_shape_is_bad_payload(
    fake_x: tuple[FakeSocialAPI, x.XConnector], body: str
) -> None:
    api, connector = fake_x
    post = api.add_post("x", "alice", "hi")
    api.answer("x", body, method="/2/tweets")
    with pytest.raises(BadPayload, match=r"^x: tweet lookup: "):
        connector.recheck(AccountRef("x", "alice"), [post.native_id])


def test_unusable_tweet_ids_are_dropped_and_counted(
    fake_x: tuple[FakeSocialAPI, x.XConnector],
) -> None:
    api, connector = fake_x
    api.add_account("x", "alice")
    data = [
        {"id": i, "text": "t", "edit_history_tweet_ids": [i]}
        for i in ("1800000000000000001", "9" * 200)
    ]
    api.answer("x", json.dumps({"data": data, "meta": {}}), method="/2/users/")
    result = connector.fetch(AccountRef("x", "alice", api.account("x", "alice").native_id), None)
    assert [p.native_id for p in result.new] == ["1800000000000000001"]
    assert result.dropped == 1


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, AuthFailed),
        (403, AuthFailed),
        (404, AccountUnavailable),
        (400, SourceUnavailable),
        (500, SourceUnavailable),
        (503, SourceUnavailable),
    ],
)
def test_http_errors_map_to_our_types(
    fake_x: tuple[FakeSocialAPI, x.XConnector], status: int, expected: type[ConnectorError]
) -> None:
    api, connector = fake_x
    api.add_account("x", "alice")
    api.fail("x", status)
    with pytest.raises(expected) as caught:
        connector.fetch(AccountRef("x", "alice", api.account("x", "alice").native_id), "1")
    assert caught.type is expected


@pytest.mark.parametrize(
    ("status", "reason"),
    [("protected", "protected"), ("suspended", "suspended"), (None, "not found")],
)
def test_unavailable_accounts(
    fake_x: tuple[FakeSocialAPI, x.XConnector], status: str | None, reason: str
) -> None:
    api, connector = fake_x
    if status is not None:
        api.add_account("x", "carol", status=status)
    with pytest.raises(AccountUnavailable) as on_verify:
        connector.verify(AccountRef("x", "carol"))
    assert on_verify.value.reason == reason
    native = api.account("x", "carol").native_id if status else "99999"
    with pytest.raises(AccountUnavailable) as on_fetch:
        connector.fetch(AccountRef("x", "carol", native), None)
    assert on_fetch.value.reason == reason


def test_invalid_username_is_refused_without_a_request(
    fake_x: tuple[FakeSocialAPI, x.XConnector],
) -> None:
    api, connector = fake_x
    with pytest.raises(AccountUnavailable):
        connector.verify(AccountRef("x", "not a name!"))
    assert api.requests_total() == 0


def test_wrong_token_is_auth_failed(fake_api: FakeSocialAPI) -> None:
    fake_api.require_token("x", TOKEN)
    connector = x.build({"api_base_url": fake_api.url, "bearer_token": "wrong"})
    try:
        with pytest.raises(AuthFailed):
            connector.verify(AccountRef("x", "alice"))
    finally:
        connector.close()


def test_missing_token_names_the_variable() -> None:
    connector = x.build({"bearer_token": ""})
    with pytest.raises(AuthFailed, match="SOCIAL_MONITOR_X_BEARER_TOKEN"):
        connector.fetch(AccountRef("x", "alice"), None)


def test_network_down_names_the_host(dead_url: str) -> None:
    """A refused loopback port, through tweepy and requests (issue 15 item 11): the message
    names the host and why, never the path, query or token of the request."""
    connector = x.build({"api_base_url": dead_url, "bearer_token": TOKEN})
    try:
        with pytest.raises(HostUnreachable) as on_fetch:
            connector.fetch(AccountRef("x", "alice", "1"), None)
        with pytest.raises(HostUnreachable) as on_verify:
            connector.verify(AccountRef("x", "alice"))
    finally:
        connector.close()
    host = dead_url.removeprefix("http://")
    assert isinstance(on_fetch.value, SourceUnavailable)  # backed off like an outage
    assert str(on_fetch.value) == f"x: cannot reach {host}: connection refused"
    assert str(on_verify.value) == f"x: cannot reach {host}: connection refused"
    assert (on_fetch.value.host, on_fetch.value.reason) == (host, "connection refused")
    for leak in ("/2/", "tweets", "max_results", TOKEN):
        assert leak not in str(on_fetch.value)


def test_default_host_is_named_when_unreachable() -> None:
    """Without a test server the host named is X's own (tweepy's fixed address)."""
    error = requests.ConnectionError("refused")
    assert x._request_url(error) == "https://api.twitter.com"


# -- what the words are: escapes, long posts, t.co links, quotes (synthetic, fake server) -----
# The fake server writes a tweet as X does: every link replaced by a t.co link listed in
# entities.urls, & < > escaped, and a post over 280 characters cut, its whole text in
# note_tweet (only when tweet.fields asks for it).


def test_text_is_html_unescaped_once(fake_x: tuple[FakeSocialAPI, x.XConnector]) -> None:
    """Synthetic: X sends "Q&amp;A"; a literal "&amp;" the author typed arrives as "&amp;amp;"."""
    api, connector = fake_x
    typed = "Q&A with AT&T: deal > $5M, <maybe> (I wrote &amp; literally)"
    api.add_post("x", "alice", typed)
    [post] = connector.fetch(AccountRef("x", "alice"), None).new
    assert post.text == typed


def test_long_post_text_comes_from_note_tweet(
    fake_x: tuple[FakeSocialAPI, x.XConnector],
) -> None:
    """Synthetic: a 400-character post; the leak sits past character 280."""
    api, connector = fake_x
    typed = "Long thoughts on the quarter. " * 10 + "Project Bluebird ships to Acme & Co in May."
    assert len(typed) > 280
    tweet = api.add_post("x", "alice", typed)
    account = AccountRef("x", "alice", api.account("x", "alice").native_id)
    [post] = connector.fetch(account, None).new
    assert post.text == typed
    # The re-check of a flagged long post reads the newer version whole too.
    api.edit_post("x", tweet.native_id, typed + " Edited.")
    [edited] = connector.recheck(account, [tweet.native_id]).edited
    assert edited.text == typed + " Edited."


def test_tco_links_are_expanded(fake_x: tuple[FakeSocialAPI, x.XConnector]) -> None:
    """Synthetic: the real address behind t.co reaches the detectors (also in a long post)."""
    api, connector = fake_x
    api.add_post("x", "alice", "notes at https://wiki.corp.example/q3/plan.pdf?a=1&b=2 ok")
    long_text = "x" * 290 + " see http://intranet.corp.example/roadmap"
    api.add_post("x", "alice", long_text)
    posts = connector.fetch(AccountRef("x", "alice"), None).new
    assert [p.text for p in posts] == [
        "notes at https://wiki.corp.example/q3/plan.pdf?a=1&b=2 ok",
        long_text,
    ]
    assert all("t.co/" not in p.text for p in posts)


def test_quote_keeps_its_own_text_repost_is_skipped(
    fake_x: tuple[FakeSocialAPI, x.XConnector],
) -> None:
    """Synthetic: a quote tweet is the author's words (plus the quoted tweet's address); a
    retweet is someone else's."""
    api, connector = fake_x
    api.add_post("x", "alice", "RT @bob: not my words", kind="repost")
    quote = api.add_post("x", "alice", "my comment on this", kind="quote")
    [post] = connector.fetch(AccountRef("x", "alice"), None).new
    assert post.native_id == quote.native_id
    assert post.text.startswith("my comment on this https://twitter.com/")
    assert "t.co/" not in post.text


def test_recorded_text_without_entities_is_kept_whole(
    recorded: x.XConnector, tweepy_dir: Path
) -> None:
    """Real recording (tweepy's test_client_get_users_tweets cassette, api.twitter.com 2022):
    no entities were asked for then, so the t.co links stay as sent; nothing is lost."""
    with replay(tweepy_dir / "test_client_get_users_tweets.yaml", match_query=False):
        result = recorded.fetch(AccountRef("x", "Twitter", "783214"), None)
    assert result.new[1].text == (
        "whoa, it works\n\nnow everyone can mix GIFs, videos, and images in one Tweet, "
        "available on iOS and Android https://t.co/3OQ4eGsUku https://t.co/LVVolAQPZi"
    )


def test_timeline_asks_for_note_tweet_and_entities() -> None:
    assert {"note_tweet", "entities", "referenced_tweets"} <= set(x.TWEET_FIELDS)
