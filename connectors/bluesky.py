"""The Bluesky connector: the public AppView's XRPC endpoints over plain httpx.

Options (``[networks.bluesky]``):
    ``api_base_url``     default ``https://public.api.bsky.app`` (no login needed)
    ``limit``            posts per page, at most 100 (default 50)
    ``timeout_seconds``  per request (default 20)
    ``max_retry_after_seconds``  latest a rate-limit retry may lie ahead (default 86400)

Handle: the Bluesky handle (``alice.bsky.social``, a leading ``@`` is fine) or a DID.
Credentials: none; public reads are anonymous.

Why httpx and not atproto's client: the three public GET endpoints we need
(``app.bsky.actor.getProfile``, ``app.bsky.feed.getAuthorFeed``, ``app.bsky.feed.getPosts``)
are plain JSON, and speaking them directly gives us the status code and the
``ratelimit-reset`` header for our error types, one pooled client with our timeout, and a
trivial switch to a local test server; atproto's client is built around logged-in sessions
and its model layer adds nothing here.

Native ids are ``at://`` URIs. Post record keys are TIDs, which sort by creation time, so
the cursor is the newest TID seen and a poll pages back until it reaches it. Reposts are
skipped. Bluesky has no edits.

A post's text is everything its author wrote in the record: the text, then the full
address of each link facet not written out in the text (the app shows them shortened),
the hidden ``tags``, and the alt text of its images and video (also those beside a quote,
``recordWithMedia``), as ``Image description: ...`` lines. What others wrote stays out:
a quoted post (``embed.record``) and a link card's title and description (the linked
page's words; the card's address is kept).

``recheck`` asks ``getPosts`` in batches. A post in the answer is alive. A post absent from
it is only ``missing`` (the AppView leaves out posts it cannot show, and a degraded AppView
may leave out all of them), unless ``app.bsky.feed.getPostThread`` for that one post says
``NotFound`` (HTTP 400) or answers a ``notFoundPost``: then it is ``deleted``. When the
answers leave out every post asked about, nothing is confirmed (no thread lookups): all are
``missing``. A blocked post or any other thread answer is ``missing``; a failed request
raises.

Answers of an unexpected shape raise :class:`~connectors.base.BadPayload`; posts whose URI is
unusable as an id are dropped and counted (``FetchResult.dropped``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

import httpx
from pydantic import Field

from connectors._http import (
    Clock,
    error_for_status,
    expect_dict,
    host_of,
    keep_usable,
    max_retry_after,
    parse_iso,
    parse_json,
    unreachable,
    utcnow,
)
from connectors.base import (
    MAX_RETRY_AFTER_SECONDS,
    AccountRef,
    AccountUnavailable,
    BadPayload,
    ConnectorError,
    ConnectorOptions,
    FetchedPost,
    FetchResult,
    SourceUnavailable,
)

NETWORK = "bluesky"
API_BASE = "https://public.api.bsky.app"
MAX_PAGES = 20
_GET_POSTS_BATCH = 25  # most URIs one getPosts call takes
_THREAD = "app.bsky.feed.getPostThread"
# XRPC error names for accounts that are there but not readable.
_ACCOUNT_ERRORS = {
    "AccountTakedown": "suspended",
    "AccountDeactivated": "deactivated",
    "BlockedActor": "blocked",
}


# Posts confirmed one by one (getPostThread) when getPosts answered none of them.
_CONFIRM_PER_RECHECK = 25


def _rkey(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


class BlueskyConnector:
    """Reads an account's public posts from the AppView. Raises only ConnectorError."""

    network = NETWORK

    def __init__(
        self,
        http: httpx.Client,
        *,
        limit: int = 50,
        clock: Clock = utcnow,
        max_retry_after_seconds: float = MAX_RETRY_AFTER_SECONDS,
    ) -> None:
        self._http = http
        self._limit = max(1, min(100, limit))
        self._clock = clock
        self._max_retry = max_retry_after_seconds

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, params: httpx.QueryParams) -> httpx.Response:
        try:
            return self._http.get(f"/xrpc/{method}", params=params)
        except httpx.TransportError as exc:  # refused, not resolved, timed out, TLS, ...
            raise unreachable("bluesky", str(self._http.base_url), exc) from exc
        except httpx.HTTPError as exc:
            host = host_of(str(self._http.base_url))
            raise SourceUnavailable(f"bluesky: {host}: {method}: {type(exc).__name__}") from exc

    def _get(self, method: str, params: httpx.QueryParams) -> dict[str, Any]:
        """One XRPC call; the one place httpx errors and HTTP statuses become ours."""
        return self._answer(method, self._request(method, params))

    def _answer(self, method: str, response: httpx.Response) -> dict[str, Any]:
        if response.status_code == 400:
            name = self._error_name(response)
            if name in _ACCOUNT_ERRORS:
                raise AccountUnavailable(_ACCOUNT_ERRORS[name])
            if name in ("InvalidRequest", "ProfileNotFound", "NotFound"):
                raise AccountUnavailable("not found")
        error: ConnectorError | None = error_for_status(
            response.status_code,
            response.headers,
            self._clock(),
            f"bluesky: {method}",
            max_seconds=self._max_retry,
        )
        if error is not None:
            raise error
        return expect_dict(parse_json(response.content, f"bluesky: {method}"), f"bluesky: {method}")

    @staticmethod
    def _error_name(response: httpx.Response) -> str:
        try:
            body = parse_json(response.content, "bluesky")
        except BadPayload:
            return ""
        return str(body.get("error", "")) if isinstance(body, dict) else ""

    @contextmanager
    def _shape(self, method: str, expected: str) -> Iterator[None]:
        """Reading inside an answer: a wrong type or a missing key is BadPayload."""
        try:
            yield
        except (AttributeError, TypeError, KeyError, IndexError) as exc:
            raise BadPayload(f"bluesky: {method}: expected {expected}") from exc

    def verify(self, account: AccountRef) -> AccountRef:
        """Resolve the handle to its DID; suspended/deactivated/unknown are unavailable."""
        method = "app.bsky.actor.getProfile"
        profile = self._get(method, httpx.QueryParams(actor=self._actor(account)))
        did = profile.get("did")
        if not isinstance(did, str) or not did.startswith("did:"):
            raise BadPayload(f"bluesky: {method}: expected a profile with a did")
        return replace(account, native_id=did)

    @staticmethod
    def _actor(account: AccountRef) -> str:
        actor = (account.native_id or account.handle).strip().lstrip("@")
        if not actor:
            raise AccountUnavailable("empty Bluesky handle")
        return actor

    def fetch(self, account: AccountRef, cursor: str | None) -> FetchResult:
        """Posts with a record key newer than ``cursor`` (a TID)."""
        actor = self._actor(account)
        params: dict[str, Any] = {"actor": actor, "limit": self._limit}
        posts: list[FetchedPost] = []
        newest = cursor or ""
        requests_made = 0
        method = "app.bsky.feed.getAuthorFeed"
        for _ in range(MAX_PAGES):
            page = self._get(method, httpx.QueryParams(params))
            requests_made += 1
            reached_cursor = False
            with self._shape(method, "a feed of {post: {uri, record}} items"):
                for item in page.get("feed") or ():
                    post = item.get("post") or {}
                    if item.get("reason") is not None:
                        continue  # a repost: someone else's words
                    key = _rkey(str(post.get("uri", "")))
                    if cursor and key <= cursor:
                        reached_cursor = True
                        break
                    newest = max(newest, key)
                    posts.append(self._to_post(post))
                next_cursor = page.get("cursor")
            if reached_cursor or not cursor or not isinstance(next_cursor, str) or not next_cursor:
                break  # the first poll reads one page: a baseline
            params["cursor"] = next_cursor
        posts, dropped = keep_usable(posts, "bluesky: getAuthorFeed")
        posts.sort(key=lambda p: _rkey(p.native_id))
        did = posts[0].native_id.split("/")[2] if posts else account.native_id
        return FetchResult(
            new=posts,
            cursor=newest or None,
            native_account_id=did,
            requests_made=requests_made,
            dropped=dropped,
        )

    def recheck(self, account: AccountRef, native_ids: Sequence[str]) -> FetchResult:
        """Deleted (confirmed per post) and missing posts; see the module docstring."""
        method = "app.bsky.feed.getPosts"
        found: set[str] = set()
        requests_made = 0
        for start in range(0, len(native_ids), _GET_POSTS_BATCH):
            batch = native_ids[start : start + _GET_POSTS_BATCH]
            answer = self._get(method, httpx.QueryParams({"uris": list(batch)}))
            requests_made += 1
            with self._shape(method, "{posts: [{uri, ...}]}"):
                found.update(str(p["uri"]) for p in answer.get("posts") or ())
        absent = [i for i in native_ids if i not in found]
        deleted: list[str] = []
        missing: list[str] = []
        if not any(i in found for i in native_ids):
            # Empty for every post asked about: no evidence about any single one. Ask each
            # post's thread, a bounded number per re-check; the rest wait for the next one.
            missing, absent = absent[_CONFIRM_PER_RECHECK:], absent[:_CONFIRM_PER_RECHECK]
        for uri in absent:
            verdict = self._thread_verdict(uri)
            requests_made += 1
            if verdict == "deleted":
                deleted.append(uri)
            elif verdict == "missing":
                missing.append(uri)
        return FetchResult(deleted=deleted, missing=missing, requests_made=requests_made)

    def _thread_verdict(self, uri: str) -> str:
        """``deleted``, ``alive`` or ``missing`` for one post, from getPostThread."""
        response = self._request(_THREAD, httpx.QueryParams(uri=uri, depth=0, parentHeight=0))
        if response.status_code == 400 and self._error_name(response) == "NotFound":
            return "deleted"
        answer = self._answer(_THREAD, response)
        thread = answer.get("thread")
        if not isinstance(thread, dict):
            raise BadPayload(f"bluesky: {_THREAD}: expected {{thread: {{$type, ...}}}}")
        kind = str(thread.get("$type", ""))
        if kind.endswith("#notFoundPost") or thread.get("notFound") is True:
            return "deleted"
        if kind.endswith("#threadViewPost"):
            post = thread.get("post")
            if isinstance(post, dict) and post.get("uri") == uri:
                return "alive"
        return "missing"  # blocked, or an answer that says nothing about this post

    def _to_post(self, post: dict[str, Any]) -> FetchedPost:
        uri = post["uri"]
        if not isinstance(uri, str) or not uri.startswith("at://") or uri.count("/") < 4:
            raise TypeError("uri")
        record = post.get("record") or {}
        handle = (post.get("author") or {}).get("handle") or uri.split("/")[2]
        return FetchedPost(
            native_id=uri,
            text=own_words(record),
            created_at=self._time(record.get("createdAt"), post.get("indexedAt")),
            url=f"https://bsky.app/profile/{handle}/post/{_rkey(uri)}",
        )

    def _time(self, *candidates: Any) -> datetime:
        """createdAt is written by the poster's app and may be malformed: fall back."""
        for value in candidates:
            try:
                return parse_iso(str(value))
            except ValueError:
                continue
        return self._clock()


def _strings(value: Any) -> list[str]:
    """The non-empty strings of a JSON array (nothing for anything else)."""
    if not isinstance(value, list):
        return []
    return [v.strip() for v in value if isinstance(v, str) and v.strip()]


def _media_words(embed: Any) -> list[str]:
    """Alt texts of an images or video embed (the author's description of the media)."""
    if not isinstance(embed, dict):
        return []
    kind = str(embed.get("$type", ""))
    if kind.startswith("app.bsky.embed.images"):
        images = embed.get("images")
        alts = _strings([i.get("alt") for i in images if isinstance(i, dict)]
                        if isinstance(images, list) else None)
        return [f"Image description: {alt}" for alt in alts]
    if kind.startswith("app.bsky.embed.video"):
        return [f"Video description: {alt}" for alt in _strings([embed.get("alt")])]
    return []


def own_words(record: Any) -> str:
    """Everything the author wrote in a post record (see the module docstring)."""
    if not isinstance(record, dict):
        return ""
    text = str(record.get("text") or "")
    extras: list[str] = []
    facets = record.get("facets")
    for facet in facets if isinstance(facets, list) else ():
        features = facet.get("features") if isinstance(facet, dict) else None
        for feature in features if isinstance(features, list) else ():
            if not isinstance(feature, dict):
                continue
            link = feature.get("uri")
            if (str(feature.get("$type", "")).endswith("#link") and isinstance(link, str)
                    and link.strip() and link.strip() not in text):
                extras.append(link.strip())
    extras += [f"#{tag.lstrip('#')}" for tag in _strings(record.get("tags"))
               if f"#{tag.lstrip('#')}" not in text]
    embed = record.get("embed")
    if isinstance(embed, dict):
        kind = str(embed.get("$type", ""))
        if kind.startswith("app.bsky.embed.external"):
            external = embed.get("external")
            link = external.get("uri") if isinstance(external, dict) else None
            if isinstance(link, str) and link.strip() and link.strip() not in text:
                extras.append(link.strip())  # the card's title and description are not hers
        elif kind.startswith("app.bsky.embed.recordWithMedia"):
            extras += _media_words(embed.get("media"))  # the quoted record is not hers
        else:
            extras += _media_words(embed)
    extras = list(dict.fromkeys(extras))
    return "\n\n".join(part for part in (text, "\n".join(extras)) if part)


class Options(ConnectorOptions):
    """``[networks.bluesky]``."""

    api_base_url: str = Field(API_BASE, description="Bluesky AppView address for public reads.")
    limit: int = Field(50, ge=1, le=100, description="Posts per page.")
    timeout_seconds: float = Field(20, gt=0, description="Seconds to wait for Bluesky.")


def build(options: dict[str, Any], *, clock: Clock = utcnow) -> BlueskyConnector:
    """A Bluesky connector from ``[networks.bluesky]`` options."""
    opts = Options.of(options)
    http = httpx.Client(
        base_url=opts.api_base_url.rstrip("/"),
        timeout=opts.timeout_seconds,
        headers={"User-Agent": "social-monitor"},
    )
    return BlueskyConnector(
        http,
        limit=opts.limit,
        clock=clock,
        max_retry_after_seconds=max_retry_after(options),
    )
