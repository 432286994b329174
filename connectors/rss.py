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

What real feeds send, and how it is read:

- relative links (every entry of a GitHub releases feed is ``/owner/repo/releases/tag/...``)
  are resolved against the address the feed was served from;
- titles go through the same HTML-to-text as bodies, and a text still holding markup or
  entities after one pass (a double-escaped feed) gets one more;
- the body is handed to feedparser as a stream, never as a string (feedparser opens a
  string that looks like a path or an address);
- several entries with one id (a blog that gives every item its home page as guid) are
  all kept: the one the cursor already knows by that id keeps it, the others get
  ``<id>#<hash of their link>`` (or of their title or text when the links are the same),
  so the cursor holds every entry; the cursor also remembers which ids were shared, so
  the ids stay put as entries drop out of the feed; the very same entry twice is one post;
- an entry whose date is missing or unreadable gets the poll time as ``created_at`` and
  says so in :attr:`FeedPost.metadata` (``created_at: poll time`` and the reason).
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import feedparser
import httpx
from pydantic import Field

from connectors._html import html_to_text
from connectors._http import (
    Clock,
    NotedPost,
    dump_cursor,
    error_for_status,
    host_of,
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
    ConnectorOptions,
    FetchedPost,
    FetchResult,
    SourceUnavailable,
)

NETWORK = "rss"
USER_AGENT = "social-monitor/0.1 (+feed reader)"


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# A feed entry, with notes on how it was read in ``metadata`` (see NotedPost).
FeedPost = NotedPost


# Left over after one pass of HTML-to-text: the feed escaped its HTML twice.
_STILL_MARKUP = re.compile(
    r"</?(?:a|b|i|u|p|em|strong|br|div|span|img|ul|ol|li|h[1-6]|blockquote|code|pre)\b[^>]*>"
    r"|&(?:[a-zA-Z]{2,8}|#\d{1,7}|#x[0-9a-fA-F]{1,6});"
)


def feed_text(html: str) -> str:
    """Visible text of a feed's title or body; a second pass for a double-escaped one."""
    text = html_to_text(html)
    return html_to_text(text) if _STILL_MARKUP.search(text) else text


def _mark_duplicates(
    posts: list[FetchedPost], seen: Mapping[str, str], shared: Collection[str]
) -> tuple[list[FetchedPost], list[str]]:
    """Every entry under an id of its own, and the ids shared by several entries.

    ``shared`` are the ids found on several entries before (kept in the cursor): once an
    id was shared, its entries keep the ids they got, even when only one of them is left.
    The entry the cursor knows under the plain id keeps it; the others get
    ``<id>#<hash of their link>`` (of their title or text when the links are the same).
    """
    groups: dict[str, list[FetchedPost]] = {}
    for post in posts:
        group = groups.setdefault(post.native_id, [])
        if all(p.text != post.text or p.url != post.url for p in group):
            group.append(post)  # the very same entry twice is one post
    kept: list[FetchedPost] = []
    still_shared: list[str] = []
    for native_id, group in groups.items():
        if len(group) == 1 and native_id not in shared:
            kept.append(group[0])
            continue
        still_shared.append(native_id)
        keys: list[str] = [p.url for p in group]
        if len(set(keys)) < len(keys):
            keys = [p.text.split("\n\n", 1)[0] for p in group]  # the titles
        if len(set(keys)) < len(keys):
            keys = [p.text for p in group]
        known = seen.get(native_id)
        for post, key in zip(group, keys, strict=True):
            if known is not None and _short_hash(post.text) == known:
                kept.append(post)
                known = None  # one entry only keeps the plain id
                continue
            new_id = f"{native_id}#{_short_hash(key)}"
            if not usable_id(new_id):
                new_id = "urn:sha256:" + hashlib.sha256(new_id.encode("utf-8")).hexdigest()
            kept.append(replace(post, native_id=new_id))
    return kept, sorted(still_shared)


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
            # A stream, never a string: feedparser opens a string that names a file.
            io.BytesIO(response.content),
            response_headers={
                "content-type": response.headers.get("content-type", ""),
                # The base for relative links: where the feed was served from.
                "content-location": str(response.url),
            },
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
        posts, shared = _mark_duplicates(self._parse(response), seen, state.get("shared") or ())
        for post in posts:
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
        if shared:
            next_state["shared"] = shared
        new.sort(key=lambda p: p.created_at)
        return FetchResult(new=new, edited=edited, cursor=dump_cursor(next_state))

    def recheck(self, account: AccountRef, native_ids: Sequence[str]) -> FetchResult:
        """Entries still in the feed with an update time are edited; entries whose own
        address answers 404/410 are deleted; others are left alone (maybe just older)."""
        posts = self._parse(self._get(account.handle.strip()))
        # Without the cursor, an id several entries share cannot be told apart: each is
        # found under its own ``<id>#<hash>`` (or its plain id when only one has it).
        in_feed = {p.native_id: p for p in _mark_duplicates(posts, {}, ())[0]}
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
        title = feed_text(str(entry.get("title") or ""))
        contents = entry.get("content") or []
        body = contents[0].get("value", "") if contents else entry.get("summary", "")
        text = "\n\n".join(part for part in (title, feed_text(str(body or ""))) if part)
        entry_id = str(entry.get("id") or link or _short_hash(text))
        if not usable_id(entry_id):
            entry_id = "urn:sha256:" + hashlib.sha256(entry_id.encode("utf-8")).hexdigest()
        # dict.get: feedparser's own get() maps a missing "updated" to "published" (with a
        # DeprecationWarning), which would make every entry look edited.
        published = _struct_time(dict.get(entry, "published_parsed"))
        updated = _struct_time(dict.get(entry, "updated_parsed"))
        metadata: dict[str, str] = {}
        created = published or updated
        if created is None:
            created = self._clock()
            raw = str(dict.get(entry, "published") or dict.get(entry, "updated") or "").strip()
            metadata["created_at"] = "poll time"
            metadata["created_at_reason"] = (
                f"the feed's date {raw[:64]!r} could not be read" if raw
                else "the feed gives no date"
            )
        return FeedPost(
            native_id=entry_id,
            text=text,
            created_at=created,
            url=link,
            edited_at=updated if updated and published and updated > published else None,
            metadata=metadata,
        )


def _struct_time(value: Any) -> datetime | None:
    """feedparser's parsed times are UTC struct_time values."""
    if not value:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), UTC)


def _with_native(account: AccountRef) -> AccountRef:
    """A feed's stable id is its address."""
    return AccountRef(account.network, account.handle, account.handle.strip())


class Options(ConnectorOptions):
    """``[networks.rss]``."""

    timeout_seconds: float = Field(20, gt=0, description="Seconds to wait for a blog's feed.")
    user_agent: str = Field(USER_AGENT, description="User agent sent when fetching feeds.")


def build(options: dict[str, Any], *, clock: Clock = utcnow) -> FeedConnector:
    """A feed connector from ``[networks.rss]`` options."""
    opts = Options.of(options)
    http = httpx.Client(
        timeout=opts.timeout_seconds,
        headers={"User-Agent": opts.user_agent},
        follow_redirects=True,
    )
    return FeedConnector(http, clock=clock, max_retry_after_seconds=max_retry_after(options))
