"""Reddit with no answer at all (issue 15 item 11): a refused loopback port, through the real
praw/prawcore/requests stack. The error names the host and why, never the path, query or
credentials of the request."""

from __future__ import annotations

import pytest
from connector_support import clock

from connectors import reddit
from connectors._http import HostUnreachable
from connectors.base import AccountRef, SourceUnavailable
from testing.fake_api import FakeSocialAPI

CREDENTIALS = {"client_id": "test-id", "client_secret": "test-secret", "user_agent": "tests"}


@pytest.fixture(autouse=True)
def _no_update_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("praw_check_for_updates", "False")


@pytest.fixture(autouse=True)
def _no_retry_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """prawcore sleeps 0-4 s between its retries of a refused request; the tests need not."""
    monkeypatch.setattr("prawcore.sessions.time.sleep", lambda seconds: None)


def _host(url: str) -> str:
    return url.removeprefix("http://")


def test_token_host_refused_names_the_host(dead_url: str) -> None:
    """The first request of a poll (the app-only token, POST /api/v1/access_token) is refused."""
    connector = reddit.build(
        dict(CREDENTIALS, oauth_url=dead_url, reddit_url=dead_url), clock=clock
    )
    try:
        with pytest.raises(HostUnreachable) as caught:
            connector.fetch(AccountRef("reddit", "alice"), None)
    finally:
        connector.close()
    error = caught.value
    assert isinstance(error, SourceUnavailable)  # the poller backs off, as for an outage
    assert str(error) == f"reddit: cannot reach {_host(dead_url)}: connection refused"
    assert (error.host, error.reason) == (_host(dead_url), "connection refused")
    assert "access_token" not in str(error) and "test-secret" not in str(error)


def test_api_host_refused_after_the_token_names_the_api_host(
    fake_api: FakeSocialAPI, dead_url: str
) -> None:
    """The token comes from the fake server; the listing's host (oauth_url) refuses."""
    fake_api.require_token("reddit", "test-id:test-secret")
    fake_api.add_post("reddit", "alice", "hello")
    connector = reddit.build(
        dict(CREDENTIALS, oauth_url=f"{dead_url}/", reddit_url=fake_api.url), clock=clock
    )
    try:
        with pytest.raises(HostUnreachable) as caught:
            connector.fetch(AccountRef("reddit", "alice"), '{"t1":"1","t3":"1"}')
        with pytest.raises(HostUnreachable):
            connector.recheck(AccountRef("reddit", "alice"), ["t3_abc"])
    finally:
        connector.close()
    message = str(caught.value)
    assert message == f"reddit: cannot reach {_host(dead_url)}: connection refused"
    for secret_or_path in ("/user/", "alice", "limit=", "test-id", "bearer"):
        assert secret_or_path not in message.lower()
