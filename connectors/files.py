"""The file connector: an employee's own export, for self-checking past posts.

The account's handle is a file path, or a folder (an unpacked export). Only the *public*
files of an export are read, picked by name:

- ``*.jsonl``: one JSON object a line with ``id``, ``text``, ``created_at`` (ISO 8601) and
  optionally ``url`` and ``edited_at``;
- an X archive's ``tweets.js`` / ``tweet.js`` (also ``tweets-part1.js`` ...), holding
  ``window.YTD.tweets.part0 = [...]``, and its ``note-tweet.js`` (posts over 280
  characters). Text is read as the X connector reads it (:func:`connectors.x_text.tweet_text`):
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

import hashlib
import logging
from pathlib import Path

from pydantic import Field

from connectors._export import ExportConnector
from connectors.base import (
    AccountUnavailable,
    ConnectorOptions,
    FetchedPost,
    SourceUnavailable,
)
from connectors.exports.common import (
    _PUBLIC_LIST,
    MASTODON_PUBLIC,
    BadExportFile,
    EmptyExport,
    ExportRead,
    UnreadableExport,
    _refuse,
    is_public_name,
)
from connectors.exports.jsonl import _read_jsonl
from connectors.exports.mastodon_outbox import _read_outbox
from connectors.exports.reddit_csv import _read_reddit_csv
from connectors.exports.x_archive import _merge_notes, _read_tweets_js

NETWORK = "file"
_LOGGED_NAMES = 20  # at most this many skipped names in one log line
log = logging.getLogger("connectors.files")

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


class FileConnector(ExportConnector):
    """An employee's own export file or unpacked folder (see the module docstring)."""

    network = NETWORK

    def read(self, path: Path) -> ExportRead:
        return read_export(path)

    def fingerprint(self, path: Path) -> str:
        return _fingerprint(path)


class Options(ConnectorOptions):
    """``[networks.file]``."""

    base_dir: str = Field("", description="Folder that relative file paths of file accounts "
                          "are read from; empty means the working directory.")


def build(options: dict[str, object]) -> FileConnector:
    base = Options.of(options).base_dir
    return FileConnector(Path(base) if base else None)
