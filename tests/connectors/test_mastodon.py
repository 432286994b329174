"""Mastodon connector through the released Mastodon.py, on the fake server's wire format
(synthetic: no recordings of Mastodon exist in ../shared)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from connector_support import clock

from connectors import mastodon
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

HANDLE = "alice@example.social"


@pytest.fixture
def fake_masto(
    fake_api: FakeSocialAPI,
) -> Iterator[tuple[FakeSocialAPI, mastodon.MastodonConnector]]:
    connector = mastodon.build({"api_base_url": fake_api.url, "limit": 3}, clock=clock)
    yield fake_api, connector
    connector.close()


def test_repoll_with_cursor_fetches_nothing_twice(
    fake_masto: tuple[FakeSocialAPI, mastodon.MastodonConnector],
) -> None:
    api, connector = fake_masto
    for i in range(5):
        api.add_post("mastodon", HANDLE, f"toot {i}")
    account = AccountRef("mastodon", "@" + HANDLE)
    first = connector.fetch(account, None)
    assert [p.text for p in first.new] == ["toot 2", "toot 3", "toot 4"]  # newest page
    assert first.native_account_id == api.account("mastodon", HANDLE).native_id
    assert all(
        p.created_at.tzinfo is not None and p.created_at.utcoffset() == UTC.utcoffset(None)
        for p in first.new
    )
    account = AccountRef("mastodon", HANDLE, first.native_account_id)

    for i in range(7):
        api.add_post("mastodon", HANDLE, f"later {i}")
    second = connector.fetch(account, first.cursor)
    assert [p.text for p in second.new] == [f"later {i}" for i in range(7)]
    assert second.requests_made == 3  # pages of 3 forward from min_id

    third = connector.fetch(account, second.cursor)
    assert third.new == [] and third.cursor == second.cursor


def test_only_public_own_statuses(
    fake_masto: tuple[FakeSocialAPI, mastodon.MastodonConnector],
) -> None:
    api, connector = fake_masto
    api.add_post("mastodon", HANDLE, "for everyone")
    api.add_post("mastodon", HANDLE, "quiet public", visibility="unlisted")
    api.add_post("mastodon", HANDLE, "boosted", kind="repost")
    result = connector.fetch(AccountRef("mastodon", HANDLE), None)
    assert [p.text for p in result.new] == ["for everyone", "quiet public"]


def test_followers_only_is_never_returned_even_with_a_token(fake_api: FakeSocialAPI) -> None:
    fake_api.require_token("mastodon", "tok")
    fake_api.add_post("mastodon", HANDLE, "followers only", visibility="private")
    fake_api.add_post("mastodon", HANDLE, "public")
    connector = mastodon.build({"api_base_url": fake_api.url, "access_token": "tok"})
    try:
        result = connector.fetch(AccountRef("mastodon", HANDLE), None)
    finally:
        connector.close()
    assert [p.text for p in result.new] == ["public"]


def test_html_content_becomes_text(
    fake_masto: tuple[FakeSocialAPI, mastodon.MastodonConnector],
) -> None:
    api, connector = fake_masto
    api.add_post("mastodon", HANDLE, "line one\nline <two> & more")
    [post] = connector.fetch(AccountRef("mastodon", HANDLE), None).new
    assert post.text == "line one\nline <two> & more"


def test_edits_and_deletions_found_by_recheck(
    fake_masto: tuple[FakeSocialAPI, mastodon.MastodonConnector],
) -> None:
    api, connector = fake_masto
    kept = api.add_post("mastodon", HANDLE, "kept")
    changed = api.add_post("mastodon", HANDLE, "first")
    gone = api.add_post("mastodon", HANDLE, "gone")
    api.edit_post("mastodon", changed.native_id, "second")
    api.delete_post("mastodon", gone.native_id)
    result = connector.recheck(
        AccountRef("mastodon", HANDLE), [kept.native_id, changed.native_id, gone.native_id]
    )
    assert result.deleted == [gone.native_id]
    [post] = result.edited
    assert (post.native_id, post.text) == (changed.native_id, "second")
    assert post.edited_at is not None


def test_rate_limit_carries_the_reset_time(
    fake_masto: tuple[FakeSocialAPI, mastodon.MastodonConnector],
) -> None:
    api, _ = fake_masto
    api.add_account("mastodon", HANDLE)
    # Mastodon.py compares the reset with the real clock: it must lie in the future, and
    # the connector's clock must be the real one too (a retry is at most a day ahead).
    reset = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    api.fail("mastodon", 429, reset_at=reset)
    connector = mastodon.build({"api_base_url": api.url})
    try:
        with pytest.raises(RateLimited) as caught:
            connector.fetch(AccountRef("mastodon", HANDLE, "100001"), None)
    finally:
        connector.close()
    # Mastodon.py shifts the reset by the server/client clock difference (sub-second here).
    assert abs((caught.value.retry_at - reset).total_seconds()) < 5


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, AuthFailed),
        (403, AccountUnavailable),
        (404, AccountUnavailable),
        (410, AccountUnavailable),
        (500, SourceUnavailable),
        (503, SourceUnavailable),
        (422, SourceUnavailable),
    ],
)
def test_http_errors_map_to_our_types(
    fake_masto: tuple[FakeSocialAPI, mastodon.MastodonConnector],
    status: int,
    expected: type[ConnectorError],
) -> None:
    api, connector = fake_masto
    api.add_account("mastodon", HANDLE)
    api.fail("mastodon", status)
    with pytest.raises(expected) as caught:
        connector.fetch(AccountRef("mastodon", HANDLE), None)
    assert caught.type is expected


def test_verify_reports_unknown_and_suspended(
    fake_masto: tuple[FakeSocialAPI, mastodon.MastodonConnector],
) -> None:
    api, connector = fake_masto
    api.add_account("mastodon", "banned@example.social", status="suspended")
    api.add_account("mastodon", HANDLE)
    assert connector.verify(AccountRef("mastodon", HANDLE)).native_id
    with pytest.raises(AccountUnavailable, match="suspended"):
        connector.verify(AccountRef("mastodon", "banned@example.social"))
    with pytest.raises(AccountUnavailable, match="not found"):
        connector.verify(AccountRef("mastodon", "nobody@example.social"))


def test_handle_without_server_needs_a_base_url() -> None:
    connector = mastodon.build({})
    with pytest.raises(AccountUnavailable, match="user@server"):
        connector.fetch(AccountRef("mastodon", "alice"), None)


def test_refused_token_names_the_variable(fake_api: FakeSocialAPI) -> None:
    fake_api.require_token("mastodon", "right")
    connector = mastodon.build({"api_base_url": fake_api.url, "access_token": "wrong"})
    try:
        with pytest.raises(AuthFailed, match="SOCIAL_MONITOR_MASTODON_ACCESS_TOKEN"):
            connector.verify(AccountRef("mastodon", HANDLE))
    finally:
        connector.close()


def test_server_down_is_source_unavailable(dead_url: str) -> None:
    connector = mastodon.build({"api_base_url": dead_url, "timeout_seconds": 2})
    try:
        with pytest.raises(SourceUnavailable) as caught:
            connector.fetch(AccountRef("mastodon", HANDLE, "1"), None)
        host = dead_url.removeprefix("http://")
        assert str(caught.value) == f"mastodon: cannot reach {host}: connection refused"
    finally:
        connector.close()


def test_far_rate_limit_reset_is_clamped(fake_api: FakeSocialAPI) -> None:
    fake_api.add_account("mastodon", HANDLE)
    fake_api.fail("mastodon", 429, reset_at=datetime(9999, 12, 31, tzinfo=UTC))
    connector = mastodon.build({"api_base_url": fake_api.url, "max_retry_after_seconds": 600})
    try:
        with pytest.raises(RateLimited) as caught:
            connector.fetch(AccountRef("mastodon", HANDLE, "100001"), None)
    finally:
        connector.close()
    ahead = caught.value.retry_at - datetime.now(UTC)
    assert timedelta(seconds=590) < ahead <= timedelta(seconds=600)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error_on_recheck_raises_and_deletes_nothing(
    fake_masto: tuple[FakeSocialAPI, mastodon.MastodonConnector], status: int
) -> None:
    api, connector = fake_masto
    post = api.add_post("mastodon", HANDLE, "flagged")
    api.fail("mastodon", status)
    with pytest.raises(SourceUnavailable):
        connector.recheck(AccountRef("mastodon", HANDLE), [post.native_id])


DEEP = "[" * 200_000 + "]" * 200_000


@pytest.mark.parametrize(
    ("route", "body", "call"),
    [
        ("/api/v1/statuses/", "[]", "recheck"),
        ("/api/v1/statuses/", "null", "recheck"),
        ("/api/v1/statuses/", DEEP, "recheck"),
        ("/api/v1/accounts/lookup", '"a string"', "verify"),
        ("/api/v1/accounts/lookup", "{}", "verify"),
        ("/api/v1/accounts/100001/statuses", '{"id": 1}', "fetch"),
        ("/api/v1/accounts/100001/statuses", "[1, 2]", "fetch"),
        ("/api/v1/accounts/100001/statuses", DEEP, "fetch"),
    ],
)
def test_unexpected_shape_is_bad_payload(
    fake_masto: tuple[FakeSocialAPI, mastodon.MastodonConnector], route: str, body: str, call: str
) -> None:
    api, connector = fake_masto
    post = api.add_post("mastodon", HANDLE, "hi")
    api.answer("mastodon", body, method=route)
    account = AccountRef("mastodon", HANDLE, api.account("mastodon", HANDLE).native_id)
    with pytest.raises(BadPayload, match=r"^mastodon: "):
        if call == "recheck":
            connector.recheck(account, [post.native_id])
        elif call == "verify":
            connector.verify(account)
        else:
            connector.fetch(account, None)
