"""A LinkedIn data export's public files: Shares.csv, Comments.csv and the articles (HTML).

The connector (``connectors.linkedin_export``) picks the newest archive and its public
files; these readers turn each file's rows into posts.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from connectors._html import html_text_and_links
from connectors._http import NotedPost, usable_id
from connectors.exports.common import (
    BadExportFile,
    PrivateExportFile,
)

if TYPE_CHECKING:
    from connectors.linkedin_export import ExportRead, _Archive

_URN = re.compile(r"urn:li:(?:share|ugcPost|activity|article):[0-9A-Za-z_-]+")
_ARTICLE_DATE = re.compile(
    r'<p[^>]*class="[^"]*\b(created|published)\b[^"]*"[^>]*>[^<]*?'
    r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2}(?::\d{2})?)",
    re.IGNORECASE,
)
# Columns only a private file has (LinkedIn's messages.csv, invitations, ...).
_PRIVATE_COLUMNS = frozenset(
    {"from", "to", "conversation id", "conversation title", "sender profile url",
     "recipient profile urls", "folder", "inviter", "invitee"}
)

class _BadRow(Exception):
    pass


_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M", "%m/%d/%y, %I:%M %p", "%a %b %d %H:%M:%S %Y", "%d %b %Y", "%Y-%m-%d",
)


def _time(value: str | None, where: str) -> datetime:
    """A date as the export writes it (UTC); :class:`_BadRow` when no format fits."""
    text = (value or "").strip().removesuffix(" UTC").replace(" UTC ", " ")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise _BadRow(f"{where}: unreadable date") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _dated(value: str | None, where: str, fallback: datetime) -> tuple[datetime, dict[str, str]]:
    """The row's date, or the archive's time with a note saying why (never a lost row)."""
    try:
        return _time(value, where), {}
    except _BadRow:
        raw = (value or "").strip()
        return fallback, {
            "created_at": "archive time",
            "created_at_reason": (
                f"the export's date {raw[:64]!r} could not be read" if raw
                else "the export gives no date"
            ),
        }


def _rows(data: bytes, name: str, kind: str) -> Any:
    """The rows of a public CSV as dicts keyed by lower-case column, with line numbers."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadExportFile(f"{name}: not UTF-8 text") from exc
    # Comments.csv quotes " with a backslash; Shares.csv doubles it. Both are read.
    reader = csv.reader(io.StringIO(text, newline=""), escapechar="\\" if kind == "comments"
                        else None, strict=False)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise BadExportFile(f"{name} line 1: unreadable CSV") from exc
    columns = [c.strip().lower() for c in header or ()]
    if not columns:
        return
    private = sorted(set(columns) & _PRIVATE_COLUMNS)
    if private:
        raise PrivateExportFile(
            f"{name} is private: it has message columns "
            f"({', '.join(c.upper() for c in private)}); it is never read"
        )
    needed = ("date", "sharecommentary") if kind == "shares" else ("date", "message")
    if any(c not in columns for c in needed):
        shown = "Date and ShareCommentary" if kind == "shares" else "Date and Message"
        raise BadExportFile(f"{name}: expected the columns {shown} (a LinkedIn {kind} file)")
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield line, None
            continue
        if any(cell.strip() for cell in row):
            yield line, dict(zip(columns, row, strict=False))


def _share_id(link: str, when: datetime, text: str) -> str:
    urn = _URN.search(unquote(link))
    if urn:
        return urn.group(0)
    if usable_id(link.strip()):
        return link.strip()
    return "linkedin-share:" + hashlib.sha256(f"{when.isoformat()}\0{text}".encode()).hexdigest()


def _read_shares(data: bytes, name: str, stamp: datetime, out: ExportRead) -> None:
    for line, row in _rows(data, name, "shares"):
        where = f"{name} line {line}"
        try:
            if row is None:
                raise _BadRow(f"{where}: unreadable CSV")
            commentary = (row.get("sharecommentary") or "").strip()
            shared = (row.get("sharedurl") or "").strip()
            if not commentary:
                continue  # a bare reshare: someone else's post, nothing of hers to check
            when, notes = _dated(row.get("date"), where, stamp)
            text = commentary if not shared or shared in commentary else f"{commentary}\n\n{shared}"
            link = (row.get("sharelink") or "").strip()
            out.posts.append(NotedPost(
                native_id=_share_id(link, when, commentary),
                text=text,
                created_at=when,
                url=link if link.startswith("https://") else "",
                metadata=notes,
            ))
        except _BadRow:
            out.bad_lines.append(where)


def _read_comments(data: bytes, name: str, stamp: datetime, out: ExportRead) -> None:
    seen: set[str] = set()
    for line, row in _rows(data, name, "comments"):
        where = f"{name} line {line}"
        try:
            if row is None:
                raise _BadRow(f"{where}: unreadable CSV")
            message = (row.get("message") or "").strip()
            if not message:
                continue
            when, notes = _dated(row.get("date"), where, stamp)
            link = (row.get("link") or "").strip()
            raw_date = (row.get("date") or "").strip()
            key = hashlib.sha256(f"{raw_date}\0{link}".encode()).hexdigest()[:32]
            if key in seen:  # two comments on one post in the same second
                key = hashlib.sha256(f"{key}\0{message}".encode()).hexdigest()[:32]
            seen.add(key)
            out.posts.append(NotedPost(
                native_id=f"linkedin-comment:{key}",
                text=message,
                created_at=when,
                url=link if link.startswith("https://") else "",
                metadata=notes,
            ))
        except _BadRow:
            out.bad_lines.append(where)


def _read_article(data: bytes, name: str, archive: _Archive, out: ExportRead) -> None:
    try:
        html = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadExportFile(f"{name}: not UTF-8 text") from exc
    slug = PurePosixPath(name).stem
    url = f"https://www.linkedin.com/pulse/{slug}"
    text, links = html_text_and_links(html, ("created", "published"))
    links = [link for link in links if link.rstrip("/") != url]
    if not text:
        return
    dates = {kind.lower(): f"{day} {clock}" for kind, day, clock in _ARTICLE_DATE.findall(html)}
    when: datetime | None = None
    for kind in ("published", "created"):
        if kind in dates:
            try:
                when = _time(dates[kind], name)
                break
            except _BadRow:
                continue
    native_id = f"linkedin-article:{slug}"
    if not usable_id(native_id):
        native_id = "linkedin-article:" + hashlib.sha256(slug.encode()).hexdigest()
    notes: dict[str, str] = {}
    if when is None:
        when = archive.stamp(name)
        notes = {"created_at": "archive time",
                 "created_at_reason": "the article gives no readable date"}
    out.posts.append(NotedPost(
        native_id=native_id,
        text="\n\n".join(part for part in (text, "\n".join(links)) if part),
        created_at=when,
        url=url,
        metadata=notes,
    ))


