"""The blog connector: RSS or Atom feeds read with feedparser over httpx.

Options (``[networks.rss]``):
    ``timeout_seconds``  per request (default 20)
    ``user_agent``       sent with every request (default ``social-monitor/0.1 (+feed reader)``)
    ``max_retry_after_seconds``  latest a rate-limit retry may lie ahead (default 86400)

Handle: the feed's address (``https://blog.example.com/feed.xml``). Credentials: none; a
feed behind a login is "not public" (``AccountUnavailable``), never ``AuthFailed``.

Each poll is a conditional GET: the cursor keeps the ETag and Last-Modified of the last
answer, so an unchanged feed costs one ``304``. It also keeps a short hash of every entry
in the feed, so a re-poll reports only entries not seen before (``new``) or whose text
changed (``edited``). A feed shows only its latest entries, so an entry that drops out is
not proof of deletion: ``recheck`` calls an entry deleted only when its own address
answers 404 or 410; a 5xx, a timeout or a refused connection raises (never deleted), and an
entry merely gone from the feed is neither deleted nor missing. An entry id that is too long
or holds control characters is replaced by ``urn:sha256:`` and a hash of it (an entry's id
is often its address: dropping it would leave a post unchecked); such an entry can be seen
edited but not confirmed deleted.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import feedparser
import httpx

from connectors._http import (
    Clock,
    dump_cursor,
    error_for_status,
    host_of,
    html_to_text,
    load_cursor,
    max_retry_after,
    unreachable,
    usable_id,
    utcnow,
)
from connectors.base import (
    MAX_RETRY_AFTER_SECONDS,
    AccountRef,
    AccountUnavailable,
    AuthFailed,
    FetchedPost,
    FetchResult,
    SourceUnavailable,
)

NETWORK = "rss"
USER_AGENT = "social-monitor/0.1 (+feed reader)"


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class FeedConnector:
    """Reads one blog's feed per call. Raises only ConnectorError subclasses."""

    network = NETWORK

    def __init__(
        self,
        http: httpx.Client,
        *,
        clock: Clock = utcnow,
        max_retry_after_seconds: float = MAX_RETRY_AFTER_SECONDS,
    ) -> None:
        self._http = http
        self._clock = clock
        self._max_retry = max_retry_after_seconds

    def close(self) -> None:
        self._http.close()

    def _get(self, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
        """One GET; the one place httpx errors and HTTP statuses become ours (304 passes)."""
        if not url.startswith(("http://", "https://")):
            raise AccountUnavailable("a feed handle must be an http(s) address")
        try:
            response = self._http.get(url, headers=headers or {})
        except httpx.TransportError as exc:  # refused, not resolved, timed out, TLS, ...
            raise unreachable("rss", url, exc) from exc
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"rss: {host_of(url)}: {type(exc).__name__}") from exc
        error = error_for_status(
            response.status_code,
            response.headers,
            self._clock(),
            "rss",
            max_seconds=self._max_retry,
        )
        if isinstance(error, AuthFailed):
            # A feed behind a login is this blog's choice, not our credentials failing.
            raise AccountUnavailable(f"not public (HTTP {response.status_code})")
        if error is not None:
            raise error
        return response

    def _parse(self, response: httpx.Response) -> list[FetchedPost]:
        parsed = feedparser.parse(
            response.content,
            response_headers={"content-type": response.headers.get("content-type", "")},
        )
        if not parsed.get("version") and not parsed.entries:
            raise AccountUnavailable("not an RSS or Atom feed")
        return [self._to_post(entry) for entry in parsed.entries]

    def verify(self, account: AccountRef) -> AccountRef:
        """Fetch the feed once: it must answer and be RSS or Atom."""
        self._parse(self._get(account.handle.strip()))
        return _with_native(account)

    def fetch(self, account: AccountRef, cursor: str | None) -> FetchResult:
        """Entries new or changed since the cursor; nothing at all on a 304."""
        state = load_cursor(cursor)
        headers: dict[str, str] = {}
        if state.get("etag"):
            headers["If-None-Match"] = str(state["etag"])
        if state.get("modified"):
            headers["If-Modified-Since"] = str(state["modified"])
        response = self._get(account.handle.strip(), headers)
        if response.status_code == 304:
            return FetchResult(cursor=cursor)
        seen: dict[str, str] = state.get("seen") or {}
        new: list[FetchedPost] = []
        edited: list[FetchedPost] = []
        now_seen: dict[str, str] = {}
        for post in self._parse(response):
            digest = _short_hash(post.text)
            now_seen[post.native_id] = digest
            if post.native_id not in seen:
                new.append(post)
            elif seen[post.native_id] != digest:
                edited.append(post)
        next_state = {
            "etag": response.headers.get("etag", ""),
            "modified": response.headers.get("last-modified", ""),
            "seen": now_seen,
        }
        new.sort(key=lambda p: p.created_at)
        return FetchResult(new=new, edited=edited, cursor=dump_cursor(next_state))

    def recheck(self, account: AccountRef, native_ids: Sequence[str]) -> FetchResult:
        """Entries still in the feed with an update time are edited; entries whose own
        address answers 404/410 are deleted; others are left alone (maybe just older)."""
        in_feed = {p.native_id: p for p in self._parse(self._get(account.handle.strip()))}
        requests_made = 1
        deleted: list[str] = []
        for entry_id in native_ids:
            if entry_id in in_feed or not entry_id.startswith(("http://", "https://")):
                continue
            requests_made += 1
            try:
                self._get(entry_id)
            except AccountUnavailable as exc:
                if exc.reason in ("not found", "gone"):
                    deleted.append(entry_id)
        edited = [
            in_feed[i] for i in native_ids if i in in_feed and in_feed[i].edited_at is not None
        ]
        return FetchResult(edited=edited, deleted=deleted, missing=[], requests_made=requests_made)

    def _to_post(self, entry: Any) -> FetchedPost:
        link = str(entry.get("link") or "")
        title = str(entry.get("title") or "")
        contents = entry.get("content") or []
        body = contents[0].get("value", "") if contents else entry.get("summary", "")
        text = "\n\n".join(part for part in (title, html_to_text(str(body or ""))) if part)
        entry_id = str(entry.get("id") or link or _short_hash(text))
        if not usable_id(entry_id):
            entry_id = "urn:sha256:" + hashlib.sha256(entry_id.encode("utf-8")).hexdigest()
        # dict.get: feedparser's own get() maps a missing "updated" to "published" (with a
        # DeprecationWarning), which would make every entry look edited.
        published = _struct_time(dict.get(entry, "published_parsed"))
        updated = _struct_time(dict.get(entry, "updated_parsed"))
        created = published or updated or self._clock()
        return FetchedPost(
            native_id=entry_id,
            text=text,
            created_at=created,
            url=link,
            edited_at=updated if updated and published and updated > published else None,
        )


def _struct_time(value: Any) -> datetime | None:
    """feedparser's parsed times are UTC struct_time values."""
    if not value:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), UTC)


def _with_native(account: AccountRef) -> AccountRef:
    """A feed's stable id is its address."""
    return AccountRef(account.network, account.handle, account.handle.strip())


def build(options: dict[str, Any], *, clock: Clock = utcnow) -> FeedConnector:
    """A feed connector from ``[networks.rss]`` options."""
    http = httpx.Client(
        timeout=float(options.get("timeout_seconds") or 20),
        headers={"User-Agent": str(options.get("user_agent") or USER_AGENT)},
        follow_redirects=True,
    )
    return FeedConnector(http, clock=clock, max_retry_after_seconds=max_retry_after(options))
