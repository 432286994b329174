"""The file connector: an employee's own export, for self-checking past posts.

The account's handle is a file path, or a folder (an unpacked export). Only the *public*
files of an export are read, picked by name:

- ``*.jsonl``: one JSON object a line with ``id``, ``text``, ``created_at`` (ISO 8601) and
  optionally ``url`` and ``edited_at``;
- an X archive's ``tweets.js`` / ``tweet.js`` (also ``tweets-part1.js`` ...), holding
  ``window.YTD.tweets.part0 = [...]``, and its ``note-tweet.js`` (posts over 280
  characters). Text is read as the X connector reads it (:func:`connectors.x.tweet_text`):
  HTML-unescaped once, t.co links replaced by the ``expanded_url`` of ``entities.urls``.
  Retweets (``RT @...``) are skipped: someone else's words; a quote tweet keeps its own
  text. A tweet cut in ``tweets.js`` gets its whole text from the note created in the same
  few seconds (the archive ties them by time only); a note with no such tweet is read as a
  post of its own (id ``noteTweetId``);
- a Reddit data export's ``posts.csv`` and ``comments.csv`` (``id``, ``permalink``, ``date``,
  ``body`` or ``title``/``body``; a UTF-8 byte order mark is fine); a ``[deleted]`` or
  ``[removed]`` row is not a post (it is gone from Reddit) and is left out;
- a Mastodon archive's ``outbox.json`` (an ActivityPub ``OrderedCollection``): only the
  account's own public posts, i.e. ``Create`` activities of a ``Note`` (or a poll,
  ``Question``) attributed to the
  activity's actor and addressed (``to`` or ``cc``) to
  ``https://www.w3.org/ns/activitystreams#Public`` (public and unlisted posts). Boosts
  (``Announce``), followers-only posts and direct messages are left out. The text is the
  content warning, the HTML content as plain text, a poll's options (a ``Question``) and
  the media descriptions.

Private files are refused, never read: Reddit's ``messages.csv``, ``chat_history.csv``,
``message_headers.csv``, ``drafts.csv``, ... and X's ``direct-messages*.js``,
``account.js``, ... A handle naming one raises :class:`PrivateExportFile` (naming the file
and saying it is private); any other file that is not a public one raises
:class:`BadExportFile`. The content is checked too: a CSV with message columns (``from``,
``to``, ``thread_id``, ...) or a ``.js`` whose ``window.YTD.<name>`` is not ``tweets`` or
``tweet`` is refused even under a public name. For a folder, the public files in it (and
below it: an X archive keeps them in ``data/``) are read and every other file is skipped:
:attr:`FileConnector.skipped` lists them per handle, and one log line names them (never
post text).

A bad line (not JSON, nested too deep, not an object, missing fields, an unreadable time,
an id longer than 128 characters or with control characters) is skipped and counted
(``FetchResult.dropped``; a log line gives file and line numbers, never the text), so the
good lines are still checked. A file without a single post raises: :class:`EmptyExport`
(a ``SourceUnavailable``, tried again later) when it holds nothing, :class:`BadExportFile`
when every line is bad.

The cursor is a fingerprint of the files read: an unchanged export costs nothing. A changed
one is read whole; ``monitor`` tells new from edited posts by their content hash.
``recheck`` reports posts still in the export as ``edited`` candidates and posts no longer
in it as ``missing`` (never ``deleted``: an export is a snapshot, not the network's verdict).
While the export has bad lines nothing is reported missing (a flagged post may sit on one).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from connectors._export import recheck_in_export
from connectors._http import html_to_text, usable_id
from connectors.base import (
    AccountRef,
    AccountUnavailable,
    BadPayload,
    FetchedPost,
    FetchResult,
    SourceUnavailable,
)
from connectors.x import tweet_links, tweet_text

NETWORK = "file"
log = logging.getLogger("connectors.files")

REDDIT_PUBLIC = frozenset({"posts.csv", "comments.csv"})
MASTODON_PUBLIC = frozenset({"outbox.json"})
_REDDIT_DELETED = frozenset({"[deleted]", "[removed]"})
# What an author writes: a status is a Note, a poll a Question (its options are the author's
# words too); other servers federate Articles and Pages.
_AS_WRITTEN = frozenset({"Note", "Question", "Article", "Page"})
_AS_PUBLIC = frozenset({"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"})
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
_LOGGED_NAMES = 20  # at most this many skipped names in one log line


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


def _read_jsonl(path: Path, name: str, out: ExportRead) -> None:
    with path.open(encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{name} line {lineno}"
            try:
                out.posts.append(_jsonl_post(line, where))
            except _BadLine:
                out.bad_lines.append(where)


def _jsonl_post(line: str, where: str) -> FetchedPost:
    try:
        row = json.loads(line)
    except RecursionError as exc:
        raise _BadLine(f"{where}: nested too deeply") from exc
    except ValueError as exc:
        raise _BadLine(f"{where}: not valid JSON") from exc
    if not isinstance(row, dict):
        raise _BadLine(f"{where}: expected a JSON object")
    if any(k not in row for k in ("id", "text", "created_at")):
        raise _BadLine(f"{where}: missing field(s)")
    edited = row.get("edited_at")
    return FetchedPost(
        native_id=_checked_id(row["id"], where),
        text=str(row["text"]),
        created_at=_parse_time(str(row["created_at"]), where),
        url=str(row.get("url") or ""),
        edited_at=_parse_time(str(edited), where) if edited else None,
    )


_YTD = re.compile(r"^\s*window\.YTD\.([A-Za-z0-9_]+)\.part\d+\s*=")


def _read_tweets_js(path: Path, name: str, out: ExportRead) -> None:
    raw = path.read_text(encoding="utf-8-sig")
    variable = _YTD.match(raw)
    if variable is not None and variable.group(1).lower() not in _X_PUBLIC_VARIABLES:
        raise _refuse(f"{name} (window.YTD.{variable.group(1)})")
    start = raw.find("[")
    if start < 0:
        if not raw.strip():
            return
        raise BadExportFile(f"{name}: no JSON array found (expected an X archive)")
    try:
        items = json.loads(raw[start:])
    except RecursionError as exc:
        raise UnreadableExport(
            f"{name}: nested too deeply to read (expected an X archive)") from exc
    except ValueError as exc:
        raise BadExportFile(f"{name}: not an X archive (not valid JSON)") from exc
    if not isinstance(items, list):
        raise BadExportFile(f"{name}: expected a JSON array of tweets")
    notes = variable is not None and variable.group(1).lower() == "note_tweet"
    for i, item in enumerate(items):
        where = f"{name} item {i}"
        try:
            if notes or (isinstance(item, dict) and "noteTweet" in item):
                out.notes.append(_note_post(item, where))
                continue
            post = _archive_tweet(item, where)
            if post is not None:
                out.x_tweets.append(len(out.posts))
                out.posts.append(post)
        except _BadLine:
            out.bad_lines.append(where)


def _archive_tweet(item: object, where: str) -> FetchedPost | None:
    """One ``tweets.js`` item; None for a retweet (someone else's words)."""
    tweet = item.get("tweet", item) if isinstance(item, dict) else None
    if not isinstance(tweet, dict) or ("id_str" not in tweet and "id" not in tweet):
        raise _BadLine(f"{where}: no tweet id")
    tid = _checked_id(tweet.get("id_str") or tweet["id"], where)
    raw = tweet.get("full_text") or tweet.get("text") or ""
    if not isinstance(raw, str):
        raise _BadLine(f"{where}: text is not a string")
    if raw.startswith("RT @") or "retweeted_status" in tweet:
        return None
    return FetchedPost(
        native_id=tid,
        text=tweet_text(raw, tweet_links(tweet.get("entities"))),
        created_at=_parse_time(str(tweet.get("created_at", "0")), where),
        url=f"https://x.com/i/web/status/{tid}",
    )


def _note_post(item: object, where: str) -> FetchedPost:
    """One ``note-tweet.js`` item (``noteTweet``: ``noteTweetId``, ``createdAt``,
    ``core.text``, ``core.urls`` with ``shortUrl``/``expandedUrl``)."""
    note = item.get("noteTweet") if isinstance(item, dict) else None
    if not isinstance(note, dict) or "noteTweetId" not in note:
        raise _BadLine(f"{where}: no noteTweetId")
    core = note.get("core")
    if not isinstance(core, dict) or not isinstance(core.get("text"), str):
        raise _BadLine(f"{where}: no core.text")
    links = tweet_links(core, short="shortUrl", expanded="expandedUrl")
    return FetchedPost(
        native_id=_checked_id(str(note["noteTweetId"]), where),
        text=tweet_text(core["text"], links),
        created_at=_parse_time(str(note.get("createdAt") or ""), where),
    )


_LINK = re.compile(r"https?://\S+")
_MENTIONS = re.compile(r"^(?:@\w+\s+)+")


def _gist(text: str) -> str:
    """A post's words for comparing a cut tweet with its note: no links, no leading
    @mentions (a reply's note leaves them out), no trailing ellipsis, spaces collapsed."""
    words = " ".join(_LINK.sub(" ", text).split())
    return _MENTIONS.sub("", words).rstrip("…").rstrip(". ").strip()


def _merge_notes(out: ExportRead) -> None:
    """Give each cut tweet its note's whole text; a note without its tweet is a post."""
    tweets = [(i, out.posts[i]) for i in out.x_tweets]
    for note in out.notes:
        near = [
            (i, post)
            for i, post in tweets
            if abs((post.created_at - note.created_at).total_seconds()) <= _NOTE_MATCH_SECONDS
        ]
        # Also by the words (a quick thread has several tweets in those seconds): a note
        # never replaces a tweet it does not continue. Unsure: both are kept and read.
        gist = _gist(note.text)
        near = [(i, p) for i, p in near if _gist(p.text) and gist.startswith(_gist(p.text))]
        if len(near) == 1:
            i, post = near[0]
            out.posts[i] = replace(post, text=note.text)
        else:
            out.posts.append(note)
    out.notes.clear()


def _read_reddit_csv(path: Path, name: str, out: ExportRead) -> None:
    # utf-8-sig: Reddit's export (and a spreadsheet saving it again) may start with a BOM,
    # which would otherwise stick to the first column's name.
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = {f.strip().lower() for f in reader.fieldnames or ()}
        if not fields:
            return
        if fields & _PRIVATE_COLUMNS:
            raise PrivateExportFile(
                f"{name} is private: it has message columns "
                f"({', '.join(sorted(fields & _PRIVATE_COLUMNS))}); it is never read"
            )
        if "id" not in fields or not fields & {"body", "title"}:
            raise BadExportFile(
                f"{name}: expected a Reddit export with columns id and body or title"
            )
        try:
            for lineno, row in enumerate(reader, 2):
                where = f"{name} line {lineno}"
                try:
                    post = _csv_post(row, where)
                except _BadLine:
                    out.bad_lines.append(where)
                    continue
                if post is not None:
                    out.posts.append(post)
        except csv.Error as exc:
            raise BadExportFile(f"{name} line {reader.line_num}: unreadable CSV") from exc


def _csv_post(row: dict[str, str | None], where: str) -> FetchedPost | None:
    """One row of a Reddit export; None for a ``[deleted]``/``[removed]`` one."""
    body, title = (row.get("body") or "").strip(), (row.get("title") or "").strip()
    if body in _REDDIT_DELETED or (title in _REDDIT_DELETED and not body):
        return None
    text = "\n\n".join(v for v in (row.get("title"), row.get("body")) if isinstance(v, str) and v)
    permalink = row.get("permalink") or ""
    return FetchedPost(
        native_id=_checked_id(row.get("id") or "", where),
        text=text,
        created_at=_parse_time(str(row.get("date") or "0"), where),
        url=permalink if isinstance(permalink, str) and permalink.startswith("http") else "",
    )


def _read_outbox(path: Path, name: str, out: ExportRead) -> None:
    """A Mastodon archive's ``outbox.json``: the account's own public notes."""
    raw = path.read_text(encoding="utf-8-sig")
    if not raw.strip():
        return
    try:
        doc = json.loads(raw)
    except RecursionError as exc:
        raise UnreadableExport(
            f"{name}: nested too deeply to read (expected a Mastodon outbox.json)"
        ) from exc
    except ValueError as exc:
        raise BadExportFile(f"{name}: not a Mastodon outbox (not valid JSON)") from exc
    items = doc.get("orderedItems") if isinstance(doc, dict) else None
    if not isinstance(items, list) or doc.get("type") not in (
        "OrderedCollection",
        "OrderedCollectionPage",
    ):
        raise BadExportFile(
            f"{name}: expected an ActivityPub OrderedCollection with orderedItems "
            "(a Mastodon archive's outbox.json)"
        )
    for i, item in enumerate(items):
        where = f"{name} item {i}"
        try:
            post = _outbox_post(item, where)
        except _BadLine:
            out.bad_lines.append(where)
            continue
        if post is not None:
            out.posts.append(post)


def _ids(value: object) -> set[str]:
    """The ids an ActivityPub property names: a string, an object with ``id``, or a list."""
    values = value if isinstance(value, list) else [value]
    found = {v for v in values if isinstance(v, str)}
    found |= {v["id"] for v in values if isinstance(v, dict) and isinstance(v.get("id"), str)}
    return found


def _outbox_post(item: object, where: str) -> FetchedPost | None:
    """One outbox activity; None unless it is the actor's own public note."""
    if not isinstance(item, dict):
        raise _BadLine(f"{where}: expected an activity object")
    if item.get("type") != "Create":
        return None  # Announce (a boost: someone else's words), Like, ...
    note = item.get("object")
    if not isinstance(note, dict):
        raise _BadLine(f"{where}: Create without an object")
    if note.get("type") not in _AS_WRITTEN:
        return None
    actors, authors = _ids(item.get("actor")), _ids(note.get("attributedTo"))
    if actors and authors and not actors & authors:
        return None  # not the account's own words
    audience = _ids(note.get("to")) | _ids(note.get("cc"))
    if not audience:
        audience = _ids(item.get("to")) | _ids(item.get("cc"))
    if not audience & _AS_PUBLIC:
        return None  # followers only or a direct message: private
    if not isinstance(note.get("id"), str):
        raise _BadLine(f"{where}: note without an id")
    native_id = _checked_id(note["id"], where)
    content = note.get("content")
    languages = note.get("contentMap")
    if not isinstance(content, str) and isinstance(languages, dict):
        content = next((v for v in languages.values() if isinstance(v, str)), "")
    if not isinstance(content, str):
        content = ""
    title = note.get("name") if note.get("type") in ("Article", "Page") else None
    parts = [note.get("summary"), title, html_to_text(content)]
    options = note.get("oneOf") or note.get("anyOf")
    for option in options if isinstance(options, list) else ():
        if isinstance(option, dict):
            parts.append(option.get("name"))  # a poll's options
    attachments = note.get("attachment")
    for media in attachments if isinstance(attachments, list) else ():
        if isinstance(media, dict):
            parts.append(media.get("name"))  # the author's description of the media
    text = "\n\n".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    published = note.get("published") or item.get("published")
    if not isinstance(published, str):
        raise _BadLine(f"{where}: note without a published time")
    updated = note.get("updated")
    url = note.get("url")
    return FetchedPost(
        native_id=native_id,
        text=text,
        created_at=_parse_time(published, where),
        url=url if isinstance(url, str) and url.startswith("http") else "",
        edited_at=_parse_time(updated, where) if isinstance(updated, str) else None,
    )


def _read_file(path: Path, name: str, out: ExportRead) -> None:
    """Read one public file into ``out``; raise for a private or unreadable one."""
    lower = path.name.lower()
    if not is_public_name(lower):
        raise _refuse(name)
    try:
        if lower.endswith(".jsonl"):
            _read_jsonl(path, name, out)
        elif lower.endswith(".js"):
            _read_tweets_js(path, name, out)
        elif lower in MASTODON_PUBLIC:
            _read_outbox(path, name, out)
        else:
            _read_reddit_csv(path, name, out)
    except UnicodeDecodeError as exc:
        raise BadExportFile(f"{name}: not UTF-8 text") from exc
    except OSError as exc:
        raise SourceUnavailable(f"cannot read {name}: {exc.strerror}") from exc
    out.read.append(name)


def _export_files(path: Path) -> tuple[list[tuple[Path, str]], list[str]]:
    """The public files under a folder (with their relative names) and the skipped rest."""
    public: list[tuple[Path, str]] = []
    skipped: list[str] = []
    try:
        for item in sorted(path.rglob("*")):
            if not item.is_file():
                continue
            rel = item.relative_to(path).as_posix()
            if is_public_name(item.name):
                public.append((item, rel))
            else:
                skipped.append(rel)
    except OSError as exc:
        raise SourceUnavailable(f"cannot read the folder {path.name}: {exc.strerror}") from exc
    return public, skipped


def read_export(path: Path) -> ExportRead:
    """All posts in an export file or folder; see the module docstring for what raises."""
    out = ExportRead()
    if path.is_dir():
        files, out.skipped = _export_files(path)
        if out.skipped:
            shown = ", ".join(out.skipped[:_LOGGED_NAMES])
            more = len(out.skipped) - _LOGGED_NAMES
            log.info(
                "file export %s: skipped %d file(s) that are not public export files: %s%s",
                path.name,
                len(out.skipped),
                shown,
                f" and {more} more" if more > 0 else "",
            )
        if not files:
            raise BadExportFile(
                f"{path.name}: no public export files in this folder (expected {_PUBLIC_LIST}); "
                f"skipped {len(out.skipped)} other file(s)"
            )
        for item, rel in files:
            _read_file(item, rel, out)
    elif path.is_file():
        _read_file(path, path.name, out)
    else:
        raise AccountUnavailable(f"file not found: {path}")
    _merge_notes(out)
    if out.bad_lines:
        log.warning(
            "file export %s: skipped %d unreadable line(s): %s",
            path.name,
            len(out.bad_lines),
            ", ".join(out.bad_lines[:_LOGGED_NAMES]),
        )
    if not out.posts:
        if out.bad_lines:
            raise UnreadableExport(f"{out.bad_lines[0]}: no readable posts (every line is bad)")
        raise EmptyExport(f"{path.name}: the export is empty (no posts); nothing reported")
    return out


def read_posts(path: Path) -> list[FetchedPost]:
    """All posts in an export file or folder (see :func:`read_export`)."""
    return read_export(path).posts


def _fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        if path.is_dir():
            for item, rel in _export_files(path)[0]:
                digest.update(rel.encode() + b"\0" + item.read_bytes() + b"\0")
        else:
            digest.update(path.read_bytes())
    except FileNotFoundError as exc:
        raise AccountUnavailable(f"file not found: {path}") from exc
    except OSError as exc:
        raise SourceUnavailable(f"cannot read {path.name}: {exc.strerror}") from exc
    return digest.hexdigest()


class FileConnector:
    network = NETWORK

    def __init__(self, base_dir: Path | None = None) -> None:
        self.base_dir = base_dir
        self._lock = threading.Lock()
        # handle -> files of its folder not read at the last read (not public export files)
        self.skipped: dict[str, list[str]] = {}

    def _path(self, account: AccountRef) -> Path:
        path = Path(account.handle).expanduser()
        if not path.is_absolute() and self.base_dir is not None:
            path = self.base_dir / path
        return path

    def _read(self, account: AccountRef) -> ExportRead:
        export = read_export(self._path(account))
        with self._lock:
            self.skipped[account.handle] = list(export.skipped)
        return export

    def fetch(self, account: AccountRef, cursor: str | None) -> FetchResult:
        fingerprint = _fingerprint(self._path(account))
        if cursor == fingerprint:
            return FetchResult(cursor=cursor, requests_made=0)
        export = self._read(account)
        return FetchResult(new=export.posts, cursor=fingerprint, dropped=len(export.bad_lines))

    def recheck(self, account: AccountRef, native_ids: Sequence[str]) -> FetchResult:
        """Posts still in the export (edited candidates) and posts no longer in it
        (``missing``, never ``deleted``; nothing missing while a line is unreadable)."""
        export = self._read(account)
        return recheck_in_export(export.posts, len(export.bad_lines), native_ids)

    def verify(self, account: AccountRef) -> AccountRef:
        self._read(account)
        return account

    def close(self) -> None:
        """Nothing to release: files are opened and closed per read."""


def build(options: dict[str, object]) -> FileConnector:
    base = options.get("base_dir")
    return FileConnector(Path(str(base)) if base else None)
