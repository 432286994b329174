"""Reddit connector: real recorded answers replayed through praw, then synthetic cases on
the local fake server (pages, cursor, deletions, edits, rate limits, suspended users)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import prawcore.sessions
import pytest
from connector_support import NOW, clock, merged_json_cassette, replay

from connectors import reddit, reddit_options
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

CREDENTIALS = {"client_id": "test-id", "client_secret": "test-secret", "user_agent": "tests"}


@pytest.fixture(autouse=True)
def _no_update_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("praw_check_for_updates", "False")


@pytest.fixture
def praw_dir(shared_data: Path) -> Path:
    return shared_data / "recorded_api" / "praw"


@pytest.fixture
def recorded() -> Iterator[reddit.RedditConnector]:
    connector = reddit.build(dict(CREDENTIALS), clock=clock)
    yield connector
    connector.close()


@pytest.fixture
def fake_reddit(fake_api: FakeSocialAPI) -> Iterator[tuple[FakeSocialAPI, reddit.RedditConnector]]:
    fake_api.require_token("reddit", "test-id:test-secret")
    options = dict(CREDENTIALS, oauth_url=fake_api.url, reddit_url=fake_api.url, limit=3)
    connector = reddit.build(options, clock=clock)
    yield fake_api, connector
    connector.close()


# -- real recorded answers -------------------------------------------------------------------


def test_recorded_listings_give_submissions_and_comments(
    recorded: reddit.RedditConnector, praw_dir: Path, tmp_path: Path
) -> None:
    cassette = merged_json_cassette(
        [
            praw_dir / "TestRedditorListings.test_submissions__new.json",
            praw_dir / "TestRedditorListings.test_comments__new.json",
        ],
        tmp_path / "spez.json",
    )
    with replay(cassette, serializer="json"):
        result = recorded.fetch(AccountRef("reddit", "u/spez"), None)

    kinds = [p.native_id[:3] for p in result.new]
    assert kinds.count("t3_") == 100 and kinds.count("t1_") == 100
    assert len({p.native_id for p in result.new}) == 200
    assert all(p.created_at.tzinfo is UTC for p in result.new)
    assert all(p.url.startswith("https://www.reddit.com/") for p in result.new)
    assert [p.created_at for p in result.new] == sorted(p.created_at for p in result.new)
    newest = {
        kind: max(
            (p.native_id[3:] for p in result.new if p.native_id[:2] == kind),
            key=lambda i: int(i, 36),
        )
        for kind in ("t1", "t3")
    }
    assert json.loads(result.cursor or "") == newest


def test_recorded_about_page_verifies_the_user(
    recorded: reddit.RedditConnector, praw_dir: Path
) -> None:
    with replay(praw_dir / "TestRedditor.test_fullname_init.json", serializer="json"):
        verified = recorded.verify(AccountRef("reddit", "PyAPITestUser3"))
    assert verified.native_id == "t2_6c1xj"


def test_recorded_deleted_comment_is_reported_deleted(
    recorded: reddit.RedditConnector, praw_dir: Path
) -> None:
    with replay(praw_dir / "TestComment.test_refresh__deleted_comment.json", serializer="json"):
        result = recorded.recheck(AccountRef("reddit", "someone"), ["t1_d7ltvl0"])
    assert result.deleted == ["t1_d7ltvl0"]
    assert result.edited == []


# -- synthetic: the fake server speaks the same wire format --------------------------------


def test_repoll_with_cursor_fetches_nothing_twice(
    fake_reddit: tuple[FakeSocialAPI, reddit.RedditConnector],
) -> None:
    api, connector = fake_reddit
    for i in range(4):
        api.add_post("reddit", "alice", f"old post {i}", title="old")
    account = AccountRef("reddit", "alice")
    first = connector.fetch(account, None)
    assert len(first.new) == 3  # the newest page only: a baseline

    for i in range(7):
        api.add_post("reddit", "alice", f"comment {i}", kind="comment")
    api.add_post("reddit", "alice", "new post", title="new")
    second = connector.fetch(account, first.cursor)
    assert sorted(p.text for p in second.new) == sorted(
        [f"comment {i}" for i in range(7)] + ["new\n\nnew post"]
    )

    third = connector.fetch(account, second.cursor)
    assert third.new == []
    assert third.cursor == second.cursor


def test_deleted_removed_and_edited_found_by_recheck(
    fake_reddit: tuple[FakeSocialAPI, reddit.RedditConnector],
) -> None:
    api, connector = fake_reddit
    deleted = api.add_post("reddit", "alice", "regretted", kind="comment")
    removed = api.add_post("reddit", "alice", "taken down", title="t")
    edited = api.add_post("reddit", "alice", "first wording", kind="comment")
    untouched = api.add_post("reddit", "alice", "fine", kind="comment")
    api.delete_post("reddit", deleted.native_id)
    api.delete_post("reddit", removed.native_id, removed=True)
    api.edit_post("reddit", edited.native_id, "second wording")
    ids = [p.native_id for p in (deleted, removed, edited, untouched)] + ["t1_zzzzzzz"]

    result = connector.recheck(AccountRef("reddit", "alice"), ids)

    assert result.deleted == [deleted.native_id, removed.native_id]
    assert result.missing == ["t1_zzzzzzz"]  # left out of the answer: evidence only
    [post] = result.edited
    assert (post.native_id, post.text) == (edited.native_id, "second wording")
    assert post.edited_at is not None


def test_deleted_items_are_not_new(
    fake_reddit: tuple[FakeSocialAPI, reddit.RedditConnector],
) -> None:
    api, connector = fake_reddit
    gone = api.add_post("reddit", "alice", "gone", kind="comment")
    api.delete_post("reddit", gone.native_id)
    assert connector.fetch(AccountRef("reddit", "alice"), None).new == []


def test_rate_limit_then_no_request_until_reset(
    fake_reddit: tuple[FakeSocialAPI, reddit.RedditConnector],
) -> None:
    api, connector = fake_reddit
    api.add_post("reddit", "alice", "hello", kind="comment")
    account = AccountRef("reddit", "alice")
    connector.verify(account)  # obtains the token first
    api.fail("reddit", 429, retry_after=120)
    with pytest.raises(RateLimited) as caught:
        connector.fetch(account, None)
    assert caught.value.retry_at == NOW + timedelta(seconds=120)

    # prawcore would now sleep before the next request; the connector refuses instead.
    seen = api.requests_total()
    with pytest.raises(RateLimited):
        connector.fetch(account, None)
    assert api.requests_total() == seen


@pytest.mark.parametrize(
    ("setup", "expected", "reason"),
    [
        ("unknown", AccountUnavailable, "not found"),
        ("suspended", AccountUnavailable, "suspended or private (HTTP 403)"),
        ("fail-404", AccountUnavailable, "not found"),
        ("fail-403", AccountUnavailable, "suspended or private (HTTP 403)"),
        ("fail-400", SourceUnavailable, None),
        ("fail-503", SourceUnavailable, None),  # after prawcore's own two retries
    ],
)
def test_errors_map_to_our_types(
    fake_reddit: tuple[FakeSocialAPI, reddit.RedditConnector],
    monkeypatch: pytest.MonkeyPatch,
    setup: str,
    expected: type[ConnectorError],
    reason: str | None,
) -> None:
    # prawcore pauses 0-4 s (random) before retrying a 5xx: keep the retries, skip the pause.
    monkeypatch.setattr(prawcore.sessions.FiniteRetryStrategy, "sleep", lambda self: None)
    api, connector = fake_reddit
    if setup != "unknown":
        api.add_account("reddit", "carol", status="suspended" if setup == "suspended" else "active")
    if setup.startswith("fail-"):
        api.fail("reddit", int(setup[5:]), times=3, handle="carol")
    with pytest.raises(expected) as caught:
        connector.fetch(AccountRef("reddit", "carol"), None)
    assert caught.type is expected
    if reason is not None:
        assert isinstance(caught.value, AccountUnavailable) and caught.value.reason == reason


def test_verify_reports_suspended_and_unknown(
    fake_reddit: tuple[FakeSocialAPI, reddit.RedditConnector],
) -> None:
    api, connector = fake_reddit
    api.add_account("reddit", "banned", status="suspended")
    with pytest.raises(AccountUnavailable, match="suspended"):
        connector.verify(AccountRef("reddit", "banned"))
    with pytest.raises(AccountUnavailable, match="not found"):
        connector.verify(AccountRef("reddit", "nobody_here"))
    with pytest.raises(AccountUnavailable, match="valid"):
        connector.verify(AccountRef("reddit", "no spaces allowed"))


def test_refused_credentials_are_auth_failed(fake_api: FakeSocialAPI) -> None:
    fake_api.require_token("reddit", "test-id:test-secret")
    options = dict(
        CREDENTIALS, client_secret="wrong", oauth_url=fake_api.url, reddit_url=fake_api.url
    )
    connector = reddit.build(options, clock=clock)
    try:
        with pytest.raises(AuthFailed):
            connector.fetch(AccountRef("reddit", "alice"), None)
    finally:
        connector.close()


@pytest.mark.parametrize(
    ("options", "named", "not_named"),
    [
        (
            {},
            ["SOCIAL_MONITOR_REDDIT_CLIENT_ID", "SOCIAL_MONITOR_REDDIT_CLIENT_SECRET"],
            [],
        ),
        (
            {"client_id": "x"},
            ["SOCIAL_MONITOR_REDDIT_CLIENT_SECRET"],
            ["SOCIAL_MONITOR_REDDIT_CLIENT_ID"],
        ),
        (
            {"client_secret": "y", "client_id": "  "},
            ["SOCIAL_MONITOR_REDDIT_CLIENT_ID"],
            ["SOCIAL_MONITOR_REDDIT_CLIENT_SECRET"],
        ),
    ],
)
def test_missing_credentials_name_every_missing_variable(
    options: dict[str, str], named: list[str], not_named: list[str]
) -> None:
    connector = reddit.build(options)
    for call in (
        lambda: connector.fetch(AccountRef("reddit", "alice"), None),
        lambda: connector.verify(AccountRef("reddit", "alice")),
    ):
        with pytest.raises(AuthFailed) as caught:
            call()
        message = str(caught.value)
        assert all(v in message for v in named), message
        assert not any(v in message for v in not_named), message


# -- the User-Agent Reddit asks for: <platform>:<app id>:<version> (by /u/<user>) ------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        # As configured when already in Reddit's form.
        (
            {"user_agent": "linux:acme-monitor:2.1 (by /u/acme_ops)"},
            "linux:acme-monitor:2.1 (by /u/acme_ops)",
        ),
        # The shipped default (or nothing) becomes Reddit's form, with the contact user.
        (
            {"user_agent": "social-monitor/0.1", "contact_user": "u/acme_ops"},
            f"python:social-monitor:{reddit_options.APP_VERSION} (by /u/acme_ops)",
        ),
        (
            {"contact_user": "/u/acme_ops"},
            f"python:social-monitor:{reddit_options.APP_VERSION} (by /u/acme_ops)",
        ),
    ],
)
def test_user_agent_is_in_reddits_form(
    fake_api: FakeSocialAPI, options: dict[str, str], expected: str
) -> None:
    """Synthetic (fake server): the header Reddit sees starts with our User-Agent (praw adds
    its own name after it)."""
    fake_api.add_account("reddit", "alice")
    settings = dict(CREDENTIALS, oauth_url=fake_api.url, reddit_url=fake_api.url)
    del settings["user_agent"]
    connector = reddit.build(dict(settings, **options), clock=clock)
    try:
        connector.verify(AccountRef("reddit", "alice"))
    finally:
        connector.close()
    assert reddit.user_agent(options) == expected
    assert fake_api.user_agents["reddit"].startswith(expected + " PRAW/")


def test_user_agent_without_contact_user_says_what_to_set(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="connectors.reddit"):
        agent = reddit.user_agent({"user_agent": "social-monitor/0.1"})
    assert agent == f"python:social-monitor:{reddit_options.APP_VERSION}"
    assert "networks.reddit.user_agent" in caplog.text and "(by /u/<user>)" in caplog.text


def test_user_agent_of_another_form_is_kept_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="connectors.reddit"):
        assert reddit.user_agent({"user_agent": "my bot 1.0"}) == "my bot 1.0"
    assert "user_agent" in caplog.text


def test_empty_info_answer_deletes_nothing(
    fake_reddit: tuple[FakeSocialAPI, reddit.RedditConnector],
) -> None:
    api, connector = fake_reddit
    ids = [api.add_post("reddit", "alice", f"c {i}", kind="comment").native_id for i in range(12)]
    empty = {"kind": "Listing", "data": {"after": None, "dist": 0, "children": []}}
    api.answer("reddit", json.dumps(empty), method="/api/info")
    result = connector.recheck(AccountRef("reddit", "alice"), ids)
    assert result.deleted == [] and result.missing == ids


DEEP = "[" * 200_000 + "]" * 200_000


@pytest.mark.parametrize(
    "body",
    [
        "<html>we took too long</html>",
        DEEP,
        '"a string"',
        '{"kind": "Listing", "data": {"children": [{"kind": "t1", "data": []}]}}',
        '{"kind": "Listing", "data": {"children": [{"kind": "t1", "data": {"id": 5}}]}}',
    ],
)
def test_unexpected_shape_is_bad_payload(
    fake_reddit: tuple[FakeSocialAPI, reddit.RedditConnector], body: str
) -> None:
    api, connector = fake_reddit
    post = api.add_post("reddit", "alice", "hi", kind="comment")
    api.answer("reddit", body, method="/api/info")
    with pytest.raises(BadPayload, match=r"^reddit: item lookup: "):
        connector.recheck(AccountRef("reddit", "alice"), [post.native_id])


def test_huge_retry_after_is_clamped(
    fake_reddit: tuple[FakeSocialAPI, reddit.RedditConnector],
) -> None:
    api, connector = fake_reddit
    api.add_post("reddit", "alice", "hello", kind="comment")
    account = AccountRef("reddit", "alice")
    connector.verify(account)
    api.fail("reddit", 429, retry_after="99999999999999")
    with pytest.raises(RateLimited) as caught:
        connector.fetch(account, None)
    assert caught.value.retry_at == NOW + timedelta(days=1)
