"""A Mastodon archive's ``outbox.json``: the account's own public posts only."""

from __future__ import annotations

import json
from pathlib import Path

from connectors._html import html_to_text
from connectors.base import (
    FetchedPost,
)
from connectors.exports.common import (
    BadExportFile,
    ExportRead,
    UnreadableExport,
    _BadLine,
    _checked_id,
    _parse_time,
)

# What an author writes: a status is a Note, a poll a Question (its options are the author's
# words too); other servers federate Articles and Pages.
_AS_WRITTEN = frozenset({"Note", "Question", "Article", "Page"})
_AS_PUBLIC = frozenset({"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"})


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
        out.keep(where, lambda: _outbox_post(item, where))  # noqa: B023 (called at once)


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


