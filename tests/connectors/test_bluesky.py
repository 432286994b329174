"""Bluesky connector on the AppView wire format served by the fake server (synthetic: no
recordings of Bluesky exist in ../shared)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from connector_support import NOW, clock

from connectors import bluesky
from connectors.base import (
    AccountRef,
    AccountUnavailable,
    ConnectorError,
    RateLimited,
    SourceUnavailable,
)
from connectors.fake_api import FakeSocialAPI

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
    assert result.deleted == [gone.native_id]


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
        with pytest.raises(SourceUnavailable):
            connector.fetch(AccountRef("bluesky", HANDLE), None)
    finally:
        connector.close()
