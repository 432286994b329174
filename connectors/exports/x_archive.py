"""An X archive: ``tweets.js``/``tweet.js``/``tweets-part*.js`` and ``note-tweet.js``."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

from connectors.base import (
    FetchedPost,
)
from connectors.exports.common import (
    _NOTE_MATCH_SECONDS,
    _X_PUBLIC_VARIABLES,
    BadExportFile,
    ExportRead,
    UnreadableExport,
    _BadLine,
    _checked_id,
    _parse_time,
    _refuse,
)
from connectors.x_text import tweet_links, tweet_text

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


