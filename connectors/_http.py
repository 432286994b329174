"""Small helpers shared by the network connectors (not part of the public interface).

- one table from HTTP status to our error types, for the connectors that speak HTTP
  themselves (Bluesky, RSS);
- reading the many spellings of "retry at" headers;
- a ``requests`` adapter that gives every request a timeout and can send a library's
  hard-coded host to another base address (tweepy, the local fake server);
- credentials, cursors, HTML to text and UTC times.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from connectors.base import (
    AccountUnavailable,
    AuthFailed,
    ConnectorError,
    RateLimited,
    SourceUnavailable,
)

Clock = Callable[[], datetime]

# When a 429 carries no usable reset time: X's and Reddit's windows are 15 and 10 minutes.
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=15)


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


def retry_at_from_headers(
    headers: Mapping[str, str], now: datetime, *, relative_reset: bool = False
) -> datetime:
    """When to try again after a 429, from whichever header the server sent.

    ``Retry-After`` (seconds or an HTTP date) wins; then a reset header: an epoch second
    (X, Bluesky), seconds from now (Reddit: ``relative_reset=True``) or an ISO time
    (Mastodon). Without any, wait :data:`DEFAULT_RATE_LIMIT_WAIT`.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    retry_after = lower.get("retry-after", "").strip()
    if retry_after:
        if retry_after.replace(".", "", 1).isdigit():
            return now + timedelta(seconds=float(retry_after))
        try:
            return as_utc(parsedate_to_datetime(retry_after))
        except (TypeError, ValueError):
            pass
    for name in ("x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset"):
        value = lower.get(name, "").strip()
        if not value:
            continue
        try:
            number = float(value)
        except ValueError:
            try:
                return parse_iso(value)
            except ValueError:
                continue
        if relative_reset:
            return now + timedelta(seconds=number)
        return datetime.fromtimestamp(number, UTC)
    return now + DEFAULT_RATE_LIMIT_WAIT


def error_for_status(
    status: int, headers: Mapping[str, str], now: datetime, what: str
) -> ConnectorError | None:
    """Our error for an HTTP status (None for success). ``what`` names the thing asked for."""
    if status < 400:
        return None
    if status == 429:
        return RateLimited(retry_at_from_headers(headers, now), f"{what}: rate limited")
    if status in (401, 407):
        return AuthFailed(f"{what}: credentials refused (HTTP {status})")
    if status in (403, 451):
        return AccountUnavailable(f"not public (HTTP {status})")
    if status in (404, 410):
        return AccountUnavailable("not found" if status == 404 else "gone")
    if status >= 500 or status == 408:
        return SourceUnavailable(f"{what}: server error (HTTP {status})")
    return SourceUnavailable(f"{what}: unexpected HTTP {status}")


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


class _TextExtractor(HTMLParser):
    _BREAKS = frozenset({"br", "p", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "tr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment (Mastodon statuses, feed entries)."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
