"""The fake's data: posts, accounts, programmed failures, ids and time formats."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

NETWORKS = ("x", "reddit", "mastodon", "bluesky", "rss")
STATUSES = ("active", "protected", "suspended", "deactivated")
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)

_X_ID_BASE = 1_800_000_000_000_000_000
_X_URL = re.compile(r"https?://[^\s<>\"]+")
_X_MAX_CHARS = 280  # longer posts: ``text`` is cut, the whole text is in ``note_tweet``
_MASTODON_ID_BASE = 113_000_000_000_000_000
_REDDIT_ID_BASE = 36**6  # base36 ids of 7 characters, like today's
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def _tid(n: int) -> str:
    """A Bluesky record key (TID): 13 sortable base32 characters from a microsecond count."""
    value = (int(START.timestamp() * 1_000_000) + n) << 10
    chars = []
    for _ in range(13):
        chars.append(_TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, rem = divmod(n, 36)
        out = digits[rem] + out
    return out or "0"


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class FakePost:
    """One post (tweet, submission/comment, status, skeet, feed entry) in the fake."""

    network: str
    handle: str
    native_id: str
    sort_key: int
    text: str
    created_at: datetime
    # "post"; "comment" on Reddit; "repost" (retweet, boost, repost); "quote" (X quote tweet)
    kind: str = "post"
    visibility: str = "public"  # Mastodon: public, unlisted, private, direct
    title: str = ""
    edited_at: datetime | None = None
    deleted: str = ""  # "", "deleted" or "removed" (Reddit keeps a tombstone)
    superseded: bool = False  # X: an older version of an edited tweet
    edit_history: list[str] = field(default_factory=list)


@dataclass
class FakeAccount:
    """One account; ``native_id`` is the user id / DID the real API would return."""

    network: str
    handle: str
    native_id: str
    status: str = "active"
    posts: list[FakePost] = field(default_factory=list)
    keys: list[int] = field(default_factory=list)  # sort keys of ``posts``, for bisect
    version: int = 0  # bumped on every change: the feed's ETag
    changed_at: datetime = START


@dataclass
class _Failure:
    network: str
    status: int
    times: int
    handle: str | None
    reset_at: datetime | None
    retry_after: int | str | None
    body: bytes | None = None
    content_type: str = "application/json; charset=utf-8"
    method: str | None = None




def _x_wire(typed: str) -> tuple[str, list[dict[str, Any]]]:
    """A tweet's text as X sends it: links replaced by t.co links, then ``& < >`` escaped;
    and the ``entities.urls`` for those links (start/end in the unescaped text)."""
    parts: list[str] = []
    urls: list[dict[str, Any]] = []
    at = 0
    length = 0
    for match in _X_URL.finditer(typed):
        parts.append(typed[at : match.start()])
        length += match.start() - at
        expanded = match.group(0)
        short = "https://t.co/" + hashlib.sha256(expanded.encode()).hexdigest()[:10]
        urls.append(
            {
                "start": length,
                "end": length + len(short),
                "url": short,
                "expanded_url": expanded,
                "display_url": expanded.split("://", 1)[1][:26],
            }
        )
        parts.append(short)
        length += len(short)
        at = match.end()
    parts.append(typed[at:])
    text = "".join(parts).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text, urls


# --------------------------------------------------------------------------------------------
# The HTTP side: one handler, routed by path prefix to one method per network.


