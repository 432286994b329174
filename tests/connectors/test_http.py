"""Shared boundary helpers: bounded "retry at" times, JSON of an unexpected shape, ids."""

from __future__ import annotations

import socket
import ssl
from datetime import timedelta

import httpx
import pytest
from connector_support import NOW

from connectors._html import html_text_and_links
from connectors._http import (
    DEFAULT_RATE_LIMIT_WAIT,
    HostUnreachable,
    error_for_status,
    expect_dict,
    host_of,
    max_retry_after,
    network_reason,
    parse_json,
    retry_at_from_epoch,
    retry_at_from_headers,
    unreachable,
    usable_id,
)
from connectors.base import MAX_RETRY_AFTER_SECONDS, BadPayload, RateLimited, SourceUnavailable

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


# -- item 11: a network failure names the host it could not reach ---------------------------


def _chained(outer: Exception, inner: BaseException) -> Exception:
    """``outer`` raised while handling ``inner`` (as libraries wrap socket errors)."""
    try:
        try:
            raise inner
        except BaseException:
            raise outer  # noqa: B904 (the implicit __context__ is the point)
    except Exception as exc:
        return exc


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (_chained(RuntimeError("x"), ConnectionRefusedError(111, "Connection refused")),
         "connection refused"),
        (_chained(RuntimeError("x"), socket.gaierror(-2, "Name or service not known")),
         "host name not found"),
        (RuntimeError("[Errno -3] Temporary failure in name resolution"), "host name not found"),
        (_chained(RuntimeError("x"), TimeoutError("timed out")), "timed out"),
        (RuntimeError("HTTPSConnectionPool: Read timed out. (read timeout=20)"), "timed out"),
        (_chained(RuntimeError("x"), ssl.SSLCertVerificationError("CERTIFICATE_VERIFY_FAILED")),
         "TLS certificate not accepted"),
        (_chained(RuntimeError("x"), ConnectionResetError(104, "Connection reset by peer")),
         "connection reset"),
        (RuntimeError("[Errno 101] Network is unreachable"), "network unreachable"),
        (ValueError("something else"), "ValueError"),
    ],
)
def test_network_reason_is_read_from_the_whole_chain(error: Exception, reason: str) -> None:
    assert network_reason(error) == reason


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://mastodon.example/api/v1/accounts/1", "mastodon.example"),
        ("https://user:secret@blog.example:8443/feed?token=t", "blog.example:8443"),
        ("http://127.0.0.1:5000", "127.0.0.1:5000"),
        ("https://[::1]:8080/x", "[::1]:8080"),
        ("not a url", "not a url"),
    ],
)
def test_host_of_never_keeps_credentials_or_path(url: str, host: str) -> None:
    assert host_of(url) == host


def test_unreachable_names_host_and_reason() -> None:
    error = unreachable(
        "mastodon",
        "https://mastodon.example/api/v1/statuses",
        _chained(RuntimeError("x"), ConnectionRefusedError(111, "Connection refused")),
    )
    assert isinstance(error, HostUnreachable) and isinstance(error, SourceUnavailable)
    assert str(error) == "mastodon: cannot reach mastodon.example: connection refused"
    assert error.host == "mastodon.example" and error.reason == "connection refused"


def test_unreachable_over_a_real_refused_connection(dead_url: str) -> None:
    """A real httpx connection to a closed loopback port (no mock)."""
    with httpx.Client() as client:
        try:
            client.get(f"{dead_url}/feed.xml")
        except httpx.HTTPError as exc:
            error = unreachable("rss", f"{dead_url}/feed.xml", exc)
    host = dead_url.removeprefix("http://")
    assert str(error) == f"rss: cannot reach {host}: connection refused"


def test_html_text_and_links_skips_classed_elements_and_keeps_hidden_addresses() -> None:
    html = (
        '<p>see <a href="https://intranet.example/doc">the doc</a> and '
        '<a href="https://a.example/x">https://a.example/x</a></p>'
        '<p class="quote-inline">RE: <span><a href="https://b.example/1">b</a></span></p>'
        '<p>end<br></p>'
    )
    text, links = html_text_and_links(html, ("quote-inline",))
    assert text == "see the doc and https://a.example/x\n\nend"
    assert links == ["https://intranet.example/doc"]
