"""X access tiers (issue 15 item 10), through the real tweepy client on the loopback fake.

The error bodies are synthetic (``testing.fake_api.x``: written from X's documented problem
types ``https://api.twitter.com/2/problems/client-forbidden`` with reason
``client-not-enrolled``, and ``.../usage-capped``, as quoted in public bug reports); no
recording of them exists in ../shared/data/recorded_api.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from connector_support import NOW, clock

from connectors import x, x_problems
from connectors.base import AccountRef, AuthFailed, RateLimited
from testing.fake_api import FakeSocialAPI
from testing.fake_api import x as fake_x_bodies

TOKEN = "test-bearer-token"
DAY = 86400


def _connector(api: FakeSocialAPI, **options: object) -> x.XConnector:
    api.require_token("x", TOKEN)
    return x.build(dict({"api_base_url": api.url, "bearer_token": TOKEN}, **options), clock=clock)


@pytest.fixture
def alice(fake_api: FakeSocialAPI) -> Iterator[AccountRef]:
    fake_api.add_post("x", "alice", "hello")
    yield AccountRef("x", "alice", fake_api.account("x", "alice").native_id)


# -- 403 client-not-enrolled: which tier, and X's own reason ----------------------------------


def test_free_tier_403_names_the_tier_needed_and_keeps_xs_reason(
    fake_api: FakeSocialAPI, alice: AccountRef
) -> None:
    """Synthetic: the Free tier's answer to a timeline request."""
    body = json.dumps(fake_x_bodies.CLIENT_NOT_ENROLLED)
    fake_api.answer("x", body, status=403, method="/2/users/")
    connector = _connector(fake_api)
    try:
        with pytest.raises(AuthFailed) as caught:  # the network pauses; the operator is told
            connector.fetch(alice, "1")
    finally:
        connector.close()
    message = str(caught.value)
    assert message.startswith("x: timeline: this app's X API access level does not include")
    assert "HTTP 403 client-not-enrolled" in message
    assert 'X says: "Client Forbidden: You currently have access to a subset' in message
    assert "X asks for: Appropriate Level of API Access" in message
    assert "Basic access or higher" in message and "pay-per-use" in message
    assert "\n" not in message and len(message) < 800
    assert TOKEN not in message


def test_another_403_keeps_xs_reason_bounded_on_one_line(
    fake_api: FakeSocialAPI, alice: AccountRef
) -> None:
    """Synthetic: a 403 of another kind, with a long, multi-line detail."""
    detail = "Line one.\nLine two\x00 " + "very long " * 500
    body = json.dumps({"title": "Forbidden", "detail": detail, "type": "about:blank"})
    fake_api.answer("x", body, status=403, method="/2/users/")
    connector = _connector(fake_api)
    try:
        with pytest.raises(AuthFailed) as caught:
            connector.fetch(alice, "1")
    finally:
        connector.close()
    message = str(caught.value)
    assert message.startswith(
        'x: timeline: the app may not use this endpoint (HTTP 403) (X says: "Forbidden: '
        "Line one. Line two very long"
    )
    assert "\n" not in message and "\x00" not in message
    assert len(message) < 320


def test_403_without_a_json_body_still_says_403(fake_api: FakeSocialAPI, alice: AccountRef) -> None:
    fake_api.answer("x", "<html>nope</html>", status=403, method="/2/users/",
                    content_type="text/html")
    connector = _connector(fake_api)
    try:
        with pytest.raises(AuthFailed, match=r"^x: timeline: the app may not use this endpoint "
                                             r"\(HTTP 403\)$"):
            connector.fetch(alice, "1")
    finally:
        connector.close()


# -- 429 UsageCapExceeded: rest until the monthly cap resets ---------------------------------


def _capped(api: FakeSocialAPI, cap_reset_day: int | None) -> None:
    api.answer("x", json.dumps(fake_x_bodies.USAGE_CAPPED), status=429, method="/2/users/")
    if cap_reset_day is not None:
        usage = fake_x_bodies.usage_answer(cap_reset_day)
        api.answer("x", usage, method="/2/usage/tweets")


def test_usage_cap_rests_until_the_day_it_resets(
    fake_api: FakeSocialAPI, alice: AccountRef
) -> None:
    """Synthetic: the cap resets on the 10th (NOW is 7 January, 12:00 UTC); the 429's own
    x-rate-limit-reset (a 15-minute window with requests left) is not the answer."""
    _capped(fake_api, cap_reset_day=10)
    connector = _connector(fake_api, max_retry_after_seconds=40 * DAY)
    try:
        with pytest.raises(RateLimited) as caught:
            connector.fetch(alice, "1")
    finally:
        connector.close()
    assert caught.value.retry_at == datetime(2025, 1, 10, tzinfo=UTC)
    message = str(caught.value)
    assert "the project's monthly Post cap is used up" in message
    assert 'X says: "UsageCapExceeded: Usage cap exceeded: Monthly product cap"' in message
    assert "it resets on 2025-01-10" in message
    assert fake_api.requests_total("x") == 2  # the timeline, then the usage endpoint once


def test_usage_cap_rest_is_bounded_but_says_when_it_resets(
    fake_api: FakeSocialAPI, alice: AccountRef
) -> None:
    """Synthetic: with the default bound (one day) the network tries again tomorrow, and the
    message still says when the cap resets; a day already past this month means next month."""
    _capped(fake_api, cap_reset_day=5)
    connector = _connector(fake_api)
    try:
        with pytest.raises(RateLimited) as caught:
            connector.fetch(alice, "1")
    finally:
        connector.close()
    assert caught.value.retry_at == NOW + timedelta(days=1)
    assert "it resets on 2025-02-05" in str(caught.value)


def test_usage_cap_with_no_usage_answer_rests_as_long_as_allowed(
    fake_api: FakeSocialAPI, alice: AccountRef
) -> None:
    """Synthetic: the usage endpoint refuses too (403): the reset is unknown, so the rest is
    the longest allowed, never a 15-minute window."""
    _capped(fake_api, cap_reset_day=None)
    forbidden = json.dumps(fake_x_bodies.CLIENT_NOT_ENROLLED)
    fake_api.answer("x", forbidden, status=403, method="/2/usage/tweets")
    connector = _connector(fake_api, max_retry_after_seconds=3 * DAY)
    try:
        with pytest.raises(RateLimited) as caught:
            connector.fetch(alice, "1")
    finally:
        connector.close()
    assert caught.value.retry_at == NOW + timedelta(days=3)
    assert "X did not say when it resets" in str(caught.value)


def test_a_plain_429_is_still_the_15_minute_window(
    fake_api: FakeSocialAPI, alice: AccountRef
) -> None:
    """Synthetic: a 429 without a usage-cap body rests until x-rate-limit-reset only, and the
    usage endpoint is not asked."""
    fake_api.fail("x", 429, reset_at=NOW + timedelta(minutes=15))
    connector = _connector(fake_api)
    try:
        with pytest.raises(RateLimited) as caught:
            connector.fetch(alice, "1")
    finally:
        connector.close()
    assert caught.value.retry_at == NOW + timedelta(minutes=15)
    assert str(caught.value).startswith("x: timeline: rate limited")
    assert fake_api.requests_total("x") == 1


@pytest.mark.parametrize(
    ("now", "day", "expected"),
    [
        (datetime(2025, 1, 7, 12, tzinfo=UTC), 10, datetime(2025, 1, 10, tzinfo=UTC)),
        (datetime(2025, 1, 10, 12, tzinfo=UTC), 10, datetime(2025, 2, 10, tzinfo=UTC)),
        (datetime(2025, 1, 31, 1, tzinfo=UTC), 31, datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2024, 12, 20, tzinfo=UTC), 1, datetime(2025, 1, 1, tzinfo=UTC)),
    ],
)
def test_next_reset_day(now: datetime, day: int, expected: datetime) -> None:
    assert x_problems.next_month_day(now, day) == expected
