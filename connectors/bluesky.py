"""The Bluesky connector: the public AppView's XRPC endpoints over plain httpx.

Options (``[networks.bluesky]``):
    ``api_base_url``     default ``https://public.api.bsky.app`` (no login needed)
    ``limit``            posts per page, at most 100 (default 50)
    ``timeout_seconds``  per request (default 20)

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
skipped. Bluesky has no edits; ``recheck`` reports posts missing from ``getPosts`` deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import httpx

from connectors._http import Clock, error_for_status, parse_iso, utcnow
from connectors.base import (
    AccountRef,
    AccountUnavailable,
    ConnectorError,
    FetchedPost,
    FetchResult,
    SourceUnavailable,
)

NETWORK = "bluesky"
API_BASE = "https://public.api.bsky.app"
MAX_PAGES = 20
_GET_POSTS_BATCH = 25  # most URIs one getPosts call takes
# XRPC error names for accounts that are there but not readable.
_ACCOUNT_ERRORS = {
    "AccountTakedown": "suspended",
    "AccountDeactivated": "deactivated",
    "BlockedActor": "blocked",
}


def _rkey(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


class BlueskyConnector:
    """Reads an account's public posts from the AppView. Raises only ConnectorError."""

    network = NETWORK

    def __init__(self, http: httpx.Client, *, limit: int = 50, clock: Clock = utcnow) -> None:
        self._http = http
        self._limit = max(1, min(100, limit))
        self._clock = clock

    def close(self) -> None:
        self._http.close()

    def _get(self, method: str, params: httpx.QueryParams) -> Any:
        """One XRPC call; the one place httpx errors and HTTP statuses become ours."""
        try:
            response = self._http.get(f"/xrpc/{method}", params=params)
        except httpx.TimeoutException as exc:
            raise SourceUnavailable(f"bluesky: {method}: timed out") from exc
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"bluesky: {method}: {type(exc).__name__}") from exc
        if response.status_code == 400:
            name = self._error_name(response)
            if name in _ACCOUNT_ERRORS:
                raise AccountUnavailable(_ACCOUNT_ERRORS[name])
            if name in ("InvalidRequest", "ProfileNotFound", "NotFound"):
                raise AccountUnavailable("not found")
        error: ConnectorError | None = error_for_status(
            response.status_code, response.headers, self._clock(), f"bluesky: {method}"
        )
        if error is not None:
            raise error
        try:
            return response.json()
        except ValueError as exc:
            raise SourceUnavailable(f"bluesky: {method}: answer is not JSON") from exc

    @staticmethod
    def _error_name(response: httpx.Response) -> str:
        try:
            return str(response.json().get("error", ""))
        except (ValueError, AttributeError):
            return ""

    def verify(self, account: AccountRef) -> AccountRef:
        """Resolve the handle to its DID; suspended/deactivated/unknown are unavailable."""
        profile = self._get(
            "app.bsky.actor.getProfile", httpx.QueryParams(actor=self._actor(account))
        )
        return replace(account, native_id=str(profile["did"]))

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
        for _ in range(MAX_PAGES):
            page = self._get("app.bsky.feed.getAuthorFeed", httpx.QueryParams(params))
            requests_made += 1
            reached_cursor = False
            for item in page.get("feed", ()):
                post = item.get("post", {})
                if item.get("reason") is not None:
                    continue  # a repost: someone else's words
                key = _rkey(str(post.get("uri", "")))
                if cursor and key <= cursor:
                    reached_cursor = True
                    break
                newest = max(newest, key)
                posts.append(self._to_post(post))
            if reached_cursor or not cursor or not page.get("cursor"):
                break  # the first poll reads one page: a baseline
            params["cursor"] = page["cursor"]
        posts.sort(key=lambda p: _rkey(p.native_id))
        did = posts[0].native_id.split("/")[2] if posts else account.native_id
        return FetchResult(
            new=posts,
            cursor=newest or None,
            native_account_id=did,
            requests_made=requests_made,
        )

    def recheck(self, account: AccountRef, native_ids: Sequence[str]) -> FetchResult:
        """Posts missing from ``getPosts`` are deleted; Bluesky posts cannot be edited."""
        found: set[str] = set()
        requests_made = 0
        for start in range(0, len(native_ids), _GET_POSTS_BATCH):
            batch = native_ids[start : start + _GET_POSTS_BATCH]
            answer = self._get("app.bsky.feed.getPosts", httpx.QueryParams({"uris": list(batch)}))
            requests_made += 1
            found.update(str(p.get("uri")) for p in answer.get("posts", ()))
        return FetchResult(
            deleted=[i for i in native_ids if i not in found], requests_made=requests_made
        )

    def _to_post(self, post: dict[str, Any]) -> FetchedPost:
        uri = str(post["uri"])
        record = post.get("record") or {}
        handle = (post.get("author") or {}).get("handle") or uri.split("/")[2]
        return FetchedPost(
            native_id=uri,
            text=str(record.get("text") or ""),
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


def build(options: dict[str, Any], *, clock: Clock = utcnow) -> BlueskyConnector:
    """A Bluesky connector from ``[networks.bluesky]`` options."""
    http = httpx.Client(
        base_url=str(options.get("api_base_url") or API_BASE).rstrip("/"),
        timeout=float(options.get("timeout_seconds") or 20),
        headers={"User-Agent": "social-monitor"},
    )
    return BlueskyConnector(http, limit=int(options.get("limit") or 50), clock=clock)
