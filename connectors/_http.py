"""Small helpers shared by the network connectors (not part of the public interface).

- one table from HTTP status to our error types, for the connectors that speak HTTP
  themselves (Bluesky, RSS);
- reading the many spellings of "retry at" headers, bounded to now + the configured
  maximum (:func:`clamp_retry_at`);
- JSON bodies of an unexpected shape or depth -> :class:`~connectors.base.BadPayload`;
- native ids fit for storage (:func:`usable_id`, :func:`keep_usable`);
- a ``requests`` adapter that gives every request a timeout and can send a library's
  hard-coded host to another base address (tweepy, the local fake server);
- credentials, cursors, HTML to text and UTC times;
- ``NotedPost``: another name for FetchedPost, whose ``metadata`` notes how it was read;
- a network failure as :class:`HostUnreachable`, naming the host and a short reason
  ("cannot reach mastodon.example: connection refused"), never the URL's path, query or
  credentials (:func:`unreachable`).
"""

from __future__ import annotations

import json
import logging
import math
import re
import socket
import ssl
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from connectors.base import (
    MAX_NATIVE_ID_LENGTH,
    MAX_RETRY_AFTER_SECONDS,
    AccountUnavailable,
    AuthFailed,
    BadPayload,
    ConnectorError,
    FetchedPost,
    RateLimited,
    SourceUnavailable,
)

Clock = Callable[[], datetime]
log = logging.getLogger("connectors")

# When a 429 carries no usable reset time: X's and Reddit's windows are 15 and 10 minutes.
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=15)


# A post with notes on how it was read: FetchedPost carries ``metadata`` itself now.
NotedPost = FetchedPost


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A UTC-aware copy; naive values are taken to be UTC already (as the APIs send them)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_iso(value: str) -> datetime:
    """ISO 8601 as the APIs write it (``...Z`` or an offset) -> UTC-aware datetime."""
    return as_utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))


def require_secret(options: Mapping[str, Any], key: str, env: str, network: str) -> str:
    """The credential ``options[key]``; raises AuthFailed naming the variable when empty."""
    value = str(options.get(key) or "").strip()
    if not value:
        raise AuthFailed(f"{network}: no credentials; set the environment variable {env}")
    return value


def max_retry_after(options: Mapping[str, Any]) -> float:
    """``options["max_retry_after_seconds"]`` if given and positive, else the default."""
    try:
        value = float(options.get("max_retry_after_seconds") or MAX_RETRY_AFTER_SECONDS)
    except (TypeError, ValueError):
        return float(MAX_RETRY_AFTER_SECONDS)
    return value if math.isfinite(value) and value > 0 else float(MAX_RETRY_AFTER_SECONDS)


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return None if math.isnan(number) else number


def clamp_retry_at(
    value: datetime, now: datetime, max_seconds: float = MAX_RETRY_AFTER_SECONDS
) -> datetime:
    """``value`` within ``[now, now + max_seconds]``."""
    return min(max(as_utc(value), now), now + timedelta(seconds=max_seconds))


def retry_at_from_seconds(
    seconds: float, now: datetime, max_seconds: float = MAX_RETRY_AFTER_SECONDS
) -> datetime:
    """now + ``seconds``, with ``seconds`` bounded to ``[0, max_seconds]`` (no overflow)."""
    if not math.isfinite(seconds):
        seconds = max_seconds if seconds > 0 else 0
    return now + timedelta(seconds=min(max(seconds, 0.0), max_seconds))


def retry_at_from_epoch(
    epoch: float | str | None, now: datetime, max_seconds: float = MAX_RETRY_AFTER_SECONDS
) -> datetime | None:
    """An epoch-second reset time, bounded as :func:`clamp_retry_at`; None when unreadable."""
    if epoch is None:
        return None
    try:
        number = float(epoch)
    except (TypeError, ValueError):
        return None
    if math.isnan(number):
        return None
    return retry_at_from_seconds(number - now.timestamp(), now, max_seconds)


def retry_at_from_headers(
    headers: Mapping[str, str],
    now: datetime,
    *,
    relative_reset: bool = False,
    max_seconds: float = MAX_RETRY_AFTER_SECONDS,
) -> datetime:
    """When to try again after a 429, from whichever header the server sent.

    ``Retry-After`` (seconds or an HTTP date) wins; then a reset header: an epoch second
    (X, Bluesky), seconds from now (Reddit: ``relative_reset=True``) or an ISO time
    (Mastodon). Without any usable one (negative, garbage), wait
    :data:`DEFAULT_RATE_LIMIT_WAIT`. Never earlier than ``now`` nor later than
    ``now + max_seconds``.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    retry_after = str(lower.get("retry-after", "")).strip()
    if retry_after:
        seconds = _number(retry_after)
        if seconds is not None:
            if seconds >= 0:
                return retry_at_from_seconds(seconds, now, max_seconds)
        else:
            try:
                return clamp_retry_at(parsedate_to_datetime(retry_after), now, max_seconds)
            except (TypeError, ValueError, IndexError, OverflowError):
                pass
    for name in ("x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset"):
        value = str(lower.get(name, "")).strip()
        if not value:
            continue
        number = _number(value)
        if number is None:
            try:
                return clamp_retry_at(parse_iso(value), now, max_seconds)
            except (ValueError, OverflowError):
                continue
        if number < 0:
            continue
        if relative_reset:
            return retry_at_from_seconds(number, now, max_seconds)
        at = retry_at_from_epoch(number, now, max_seconds)
        if at is not None:
            return at
    return retry_at_from_seconds(DEFAULT_RATE_LIMIT_WAIT.total_seconds(), now, max_seconds)


def error_for_status(
    status: int,
    headers: Mapping[str, str],
    now: datetime,
    what: str,
    *,
    max_seconds: float = MAX_RETRY_AFTER_SECONDS,
) -> ConnectorError | None:
    """Our error for an HTTP status (None for success). ``what`` names the thing asked for."""
    if status < 400:
        return None
    if status == 429:
        retry_at = retry_at_from_headers(headers, now, max_seconds=max_seconds)
        return RateLimited(retry_at, f"{what}: rate limited")
    if status in (401, 407):
        return AuthFailed(f"{what}: credentials refused (HTTP {status})")
    if status in (403, 451):
        return AccountUnavailable(f"not public (HTTP {status})")
    if status in (404, 410):
        return AccountUnavailable("not found" if status == 404 else "gone")
    if status >= 500 or status == 408:
        return SourceUnavailable(f"{what}: server error (HTTP {status})")
    return SourceUnavailable(f"{what}: unexpected HTTP {status}")


def parse_json(body: bytes | str, what: str) -> Any:
    """A JSON body; :class:`BadPayload` naming ``what`` when it is not JSON or nests too deep."""
    try:
        return json.loads(body)
    except RecursionError as exc:
        raise BadPayload(f"{what}: answer nests too deeply to read") from exc
    except (ValueError, TypeError) as exc:  # JSONDecodeError and UnicodeDecodeError included
        raise BadPayload(f"{what}: answer is not JSON") from exc


def expect_dict(value: Any, what: str, expected: str = "a JSON object") -> dict[str, Any]:
    """``value`` if it is a JSON object, else :class:`BadPayload` saying what was expected."""
    if not isinstance(value, dict):
        raise BadPayload(f"{what}: expected {expected}, got {_kind(value)}")
    return value


def expect_list(value: Any, what: str, expected: str = "a JSON array") -> list[Any]:
    if not isinstance(value, list):
        raise BadPayload(f"{what}: expected {expected}, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def usable_id(native_id: object) -> bool:
    """A native id fit for storage: a non-empty string, at most
    :data:`~connectors.base.MAX_NATIVE_ID_LENGTH` characters, no NUL or control characters."""
    return (
        isinstance(native_id, str)
        and 0 < len(native_id) <= MAX_NATIVE_ID_LENGTH
        and _CONTROL.search(native_id) is None
    )


def keep_usable(posts: Iterable[FetchedPost], what: str) -> tuple[list[FetchedPost], int]:
    """The posts whose native id (and group id) is usable, and how many were dropped.

    A drop is logged with the count only: never the id (it may be anything) or the text.
    """
    kept: list[FetchedPost] = []
    dropped = 0
    for post in posts:
        if usable_id(post.native_id) and (post.group_id is None or usable_id(post.group_id)):
            kept.append(post)
        else:
            dropped += 1
    if dropped:
        log.warning("%s: dropped %d post(s) with an unusable native id", what, dropped)
    return kept, dropped


class HostUnreachable(SourceUnavailable):
    """A request never got an answer: refused, name not found, timed out, TLS refused.

    ``host`` is ``name[:port]`` (never the path, query or credentials of the address) and
    ``reason`` a short phrase such as ``connection refused``; the message joins them:
    ``"mastodon: cannot reach mastodon.example: connection refused"``.
    """

    def __init__(self, network: str, host: str, reason: str) -> None:
        super().__init__(f"{network}: cannot reach {host}: {reason}")
        self.host = host
        self.reason = reason


# Checked in order against each exception of the chain (type first, then its text).
_REASONS: tuple[tuple[tuple[type[BaseException], ...], tuple[str, ...], str], ...] = (
    ((ConnectionRefusedError,), ("connection refused", "errno 111", "errno 61"),
     "connection refused"),
    (
        (socket.gaierror,),
        (
            "name or service not known",
            "temporary failure in name resolution",
            "nodename nor servname",
            "getaddrinfo failed",
            "no address associated",
            "name resolution",
            "failed to resolve",
        ),
        "host name not found",
    ),
    ((ssl.SSLError, ssl.CertificateError), ("certificate_verify_failed", "certificate verify",
                                            "ssl:", "sslerror", "tls"),
     "TLS certificate not accepted"),
    ((ConnectionResetError, ConnectionAbortedError),
     ("connection reset", "connection aborted", "remotedisconnected",
      "remote end closed", "server disconnected"),
     "connection reset"),
    ((), ("network is unreachable", "no route to host", "host is unreachable"),
     "network unreachable"),
    ((TimeoutError, socket.timeout), ("timed out", "timeout"), "timed out"),
)


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not e for e in seen) and len(seen) < 16:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def network_reason(error: BaseException) -> str:
    """A short, fixed phrase for why a request got no answer, read from the whole chain of
    causes (libraries wrap the socket error): ``connection refused``, ``host name not
    found``, ``timed out``, ``TLS certificate not accepted``, ``connection reset``,
    ``network unreachable``; else the outermost exception's type name. Never the
    exception's own text (it may quote a URL with a token in it)."""
    chain = _chain(error)
    for types, _words, reason in _REASONS:
        if types and any(isinstance(e, types) for e in chain):
            return reason
    texts = [f"{type(e).__name__} {e}".lower() for e in chain]
    for _, words, reason in _REASONS:
        if any(word in text for text in texts for word in words):
            return reason
    return type(error).__name__


def host_of(url: str) -> str:
    """``host[:port]`` of an address, without user, password, path or query."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        host, port = None, None
    if not host:
        return url.strip()[:100]
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}" if port else host


def unreachable(network: str, url: str, error: BaseException) -> HostUnreachable:
    """The :class:`HostUnreachable` for a request to ``url`` that failed with ``error``."""
    return HostUnreachable(network, host_of(url), network_reason(error))


class TimeoutAdapter(HTTPAdapter):
    """A requests adapter that always sets a timeout and can move a fixed host elsewhere.

    tweepy hard-codes ``https://api.twitter.com`` and passes no timeout; mounting this
    adapter on its session fixes both without touching tweepy.
    """

    def __init__(self, timeout: float, rebase: tuple[str, str] | None = None) -> None:
        super().__init__()
        self.timeout = timeout
        self.rebase = rebase

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        if self.rebase and request.url and request.url.startswith(self.rebase[0]):
            request.url = self.rebase[1] + request.url[len(self.rebase[0]) :]
        return super().send(request, **kwargs)


def session_with_timeout(
    timeout: float, user_agent: str = "", rebase: tuple[str, str] | None = None
) -> requests.Session:
    """A requests session whose every request has ``timeout`` (and optionally a new host)."""
    session = requests.Session()
    adapter = TimeoutAdapter(timeout, rebase)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    if user_agent:
        session.headers["User-Agent"] = user_agent
    return session


def load_cursor(cursor: str | None) -> dict[str, Any]:
    """A JSON cursor as a dict; an unreadable one (older format) counts as no cursor."""
    if not cursor:
        return {}
    try:
        value = json.loads(cursor)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def dump_cursor(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
