"""Shared boundary helpers: bounded "retry at" times, JSON of an unexpected shape, ids."""

from __future__ import annotations

from datetime import timedelta

import pytest
from connector_support import NOW

from connectors._http import (
    DEFAULT_RATE_LIMIT_WAIT,
    error_for_status,
    expect_dict,
    max_retry_after,
    parse_json,
    retry_at_from_epoch,
    retry_at_from_headers,
    usable_id,
)
from connectors.base import MAX_RETRY_AFTER_SECONDS, BadPayload, RateLimited

DAY = timedelta(seconds=MAX_RETRY_AFTER_SECONDS)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "99999999999999"}, NOW + DAY),  # raised OverflowError before
        ({"Retry-After": "1e400"}, NOW + DAY),
        ({"Retry-After": "120"}, NOW + timedelta(seconds=120)),
        ({"Retry-After": "-5"}, NOW + DEFAULT_RATE_LIMIT_WAIT),
        ({"Retry-After": "soon"}, NOW + DEFAULT_RATE_LIMIT_WAIT),
        ({"Retry-After": "nan"}, NOW + DEFAULT_RATE_LIMIT_WAIT),
        ({"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}, NOW + DAY),
        ({"Retry-After": "Tue, 07 Jan 2025 12:10:00 GMT"}, NOW + timedelta(minutes=10)),
        ({"Retry-After": "Mon, 01 Jan 2001 00:00:00 GMT"}, NOW),  # in the past: now
        ({"x-rate-limit-reset": "99999999999999999999"}, NOW + DAY),
        ({"x-rate-limit-reset": "-1"}, NOW + DEFAULT_RATE_LIMIT_WAIT),
        ({"ratelimit-reset": "9999-12-31T23:59:59Z"}, NOW + DAY),
        ({"ratelimit-reset": "garbage"}, NOW + DEFAULT_RATE_LIMIT_WAIT),
        ({}, NOW + DEFAULT_RATE_LIMIT_WAIT),
    ],
)
def test_retry_at_is_bounded(headers: dict[str, str], expected: object) -> None:
    assert retry_at_from_headers(headers, NOW) == expected


def test_relative_reset_and_configured_maximum() -> None:
    headers = {"x-ratelimit-reset": "1e30"}
    assert retry_at_from_headers(headers, NOW, relative_reset=True) == NOW + DAY
    assert retry_at_from_headers(headers, NOW, relative_reset=True, max_seconds=600) == (
        NOW + timedelta(seconds=600)
    )
    error = error_for_status(429, {"Retry-After": "99999999999999"}, NOW, "t", max_seconds=60)
    assert isinstance(error, RateLimited) and error.retry_at == NOW + timedelta(seconds=60)


def test_epoch_reset_never_overflows() -> None:
    assert retry_at_from_epoch(10**30, NOW) == NOW + DAY
    assert retry_at_from_epoch(float("inf"), NOW) == NOW + DAY
    assert retry_at_from_epoch("nope", NOW) is None


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, 86400),
        ({"max_retry_after_seconds": 600}, 600),
        ({"max_retry_after_seconds": "junk"}, 86400),
        ({"max_retry_after_seconds": -1}, 86400),
    ],
)
def test_max_retry_after_option(options: dict[str, object], expected: float) -> None:
    assert max_retry_after(options) == expected


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 200_000 + b"]" * 200_000, "nests too deeply"),
        (b"<html>oops</html>", "is not JSON"),
        (b"\xff\xfe", "is not JSON"),
    ],
)
def test_unreadable_json_is_bad_payload(body: bytes, message: str) -> None:
    with pytest.raises(BadPayload, match=f"^bluesky: getPosts: answer {message}"):
        parse_json(body, "bluesky: getPosts")


@pytest.mark.parametrize(("value", "kind"), [([], "an array"), ("s", "a string"), (None, "null")])
def test_expect_dict_names_what_came(value: object, kind: str) -> None:
    with pytest.raises(BadPayload, match=f"expected a JSON object, got {kind}"):
        expect_dict(value, "x: tweets")


@pytest.mark.parametrize(
    ("native_id", "ok"),
    [
        ("at://did:plc:abc/app.bsky.feed.post/3k", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("12\x0034", False),
        ("line\nbreak", False),
        ("", False),
    ],
)
def test_usable_id(native_id: str, ok: bool) -> None:
    assert usable_id(native_id) is ok
