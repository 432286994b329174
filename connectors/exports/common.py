"""What every export reader shares: the public and private file names, the errors, the
read result, times and ids."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from connectors._http import usable_id
from connectors.base import (
    AccountUnavailable,
    BadPayload,
    FetchedPost,
    SourceUnavailable,
)

REDDIT_PUBLIC = frozenset({"posts.csv", "comments.csv"})
MASTODON_PUBLIC = frozenset({"outbox.json"})
_X_PUBLIC = re.compile(r"^(tweets?|note-tweet)(-part\d+)?\.js$")
_X_PUBLIC_VARIABLES = frozenset({"tweets", "tweet", "note_tweet"})
_NOTE_MATCH_SECONDS = 5  # a cut tweet and its note are created within this of each other
# Names (or parts of names) of export files that hold private data: messages, chats,
# drafts, account and login data, votes and saved items.
_PRIVATE_HINTS = (
    "message",
    "chat",
    "direct",
    "dm",
    "draft",
    "ip_log",
    "ip-audit",
    "account",
    "email",
    "phone",
    "password",
    "login",
    "session",
    "contact",
    "block",
    "mute",
    "saved",
    "vote",
    "hidden",
    "subscri",
    "friend",
    "follow",
    "like",
    "bookmark",
    "birthdate",
    "gender",
    "payment",
    "purchase",
    "ad-",
    "ads",
)
# CSV columns only private files have (Reddit messages: from/to/thread_id; chats: ...).
_PRIVATE_COLUMNS = frozenset(
    {"from", "to", "thread_id", "recipient", "message_id", "conversation_type", "channel_url"}
)
_PUBLIC_LIST = (
    "posts.csv, comments.csv, tweets.js / tweet.js / note-tweet.js, outbox.json or a .jsonl"
)


class BadExportFile(AccountUnavailable):
    """The file is there but is not in a format we read; ``reason`` says where."""


class PrivateExportFile(BadExportFile):
    """The file is a private part of an export (messages, chats, account data): not read."""


class UnreadableExport(BadPayload):
    """The file's content cannot be read now (every line bad, nested too deeply): it may be
    half-written or damaged. Backed off and retried like an outage, and the account shows as
    failing if it stays so; never taken as "no posts"."""


class EmptyExport(SourceUnavailable):
    """The export file holds no posts at all (maybe being written): nothing is reported."""


class _BadLine(Exception):
    """One unreadable line or item; skipped and counted by the reader."""


def is_public_name(name: str) -> bool:
    lower = name.lower()
    return (
        lower.endswith(".jsonl")
        or lower in REDDIT_PUBLIC
        or lower in MASTODON_PUBLIC
        or bool(_X_PUBLIC.match(lower))
    )


def _looks_private(name: str) -> bool:
    lower = name.lower()
    return any(hint in lower for hint in _PRIVATE_HINTS)


def _refuse(name: str) -> BadExportFile:
    if _looks_private(name):
        return PrivateExportFile(
            f"{name} is private (messages, chats or account data); it is never read. "
            f"Only the public files of an export are: {_PUBLIC_LIST}"
        )
    return BadExportFile(f"{name}: not a public file of an export we read; expected {_PUBLIC_LIST}")


def _parse_time(value: str, where: str) -> datetime:
    value = value.strip()
    if value.endswith(" UTC"):  # Reddit's data export: "2025-01-07 10:00:00 UTC"
        value = value[:-4] + "+00:00"
    try:
        if value.isdigit():
            return datetime.fromtimestamp(int(value), UTC)
        if value[:4].isdigit() and "-" in value[:8]:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        else:  # X archives: "Wed Oct 10 20:19:24 +0000 2018"
            parsed = datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y")
    except (ValueError, OverflowError, OSError):
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError) as exc:
            raise _BadLine(f"{where}: unreadable time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _checked_id(value: object, where: str) -> str:
    native_id = str(value)
    if not usable_id(native_id):
        raise _BadLine(f"{where}: unusable id")
    return native_id


@dataclass
class ExportRead:
    """What one read of an export found (file names are relative to the handle)."""

    posts: list[FetchedPost] = field(default_factory=list)
    read: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    bad_lines: list[str] = field(default_factory=list)  # "posts.jsonl line 3": no text
    # X archives: indexes into ``posts`` of the archive's tweets, and its notes (long posts)
    x_tweets: list[int] = field(default_factory=list)
    notes: list[FetchedPost] = field(default_factory=list)

    def keep(self, where: str, parse: Callable[[], FetchedPost | None]) -> None:
        """Add the post ``parse`` makes of one line or item; a bad one is counted by
        ``where`` (never its text), None (not a post: a boost, a [deleted] row) is left out."""
        try:
            post = parse()
        except _BadLine:
            self.bad_lines.append(where)
            return
        if post is not None:
            self.posts.append(post)


