"""The file connector: an employee's own export, for self-checking past posts.

The account's handle is a file path. Three formats, picked by the file name:

- ``*.jsonl``: one JSON object a line with ``id``, ``text``, ``created_at`` (ISO 8601) and
  optionally ``url`` and ``edited_at``;
- an X archive's ``tweets.js`` (``window.YTD.tweets.part0 = [...]``);
- a Reddit data-export ``*.csv`` (``posts.csv`` or ``comments.csv``: ``id``, ``permalink``,
  ``date``, ``body`` or ``title``/``body``).

The cursor is a fingerprint of the file: an unchanged file costs nothing. A changed file is
read whole; ``monitor`` tells new from edited posts by their content hash.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from connectors.base import (
    AccountRef,
    AccountUnavailable,
    FetchedPost,
    FetchResult,
    SourceUnavailable,
)

NETWORK = "file"


class BadExportFile(AccountUnavailable):
    """The file is there but is not in a format we read; ``reason`` says where."""


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
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError) as exc:
            raise BadExportFile(f"{where}: cannot read the time {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _read_jsonl(path: Path) -> Iterator[FetchedPost]:
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path.name} line {lineno}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BadExportFile(f"{where}: not valid JSON ({exc.msg})") from exc
            if not isinstance(row, dict):
                raise BadExportFile(f"{where}: expected a JSON object")
            missing = [k for k in ("id", "text", "created_at") if k not in row]
            if missing:
                raise BadExportFile(f"{where}: missing field(s) {', '.join(missing)}")
            edited = row.get("edited_at")
            yield FetchedPost(
                native_id=str(row["id"]),
                text=str(row["text"]),
                created_at=_parse_time(str(row["created_at"]), where),
                url=str(row.get("url") or ""),
                edited_at=_parse_time(str(edited), where) if edited else None,
            )


def _read_tweets_js(path: Path) -> Iterator[FetchedPost]:
    raw = path.read_text(encoding="utf-8")
    start = raw.find("[")
    if start < 0:
        raise BadExportFile(f"{path.name}: no JSON array found (expected an X archive)")
    try:
        items = json.loads(raw[start:])
    except json.JSONDecodeError as exc:
        raise BadExportFile(f"{path.name}: not an X archive ({exc.msg})") from exc
    for i, item in enumerate(items):
        tweet = item.get("tweet", item) if isinstance(item, dict) else None
        if not isinstance(tweet, dict) or ("id_str" not in tweet and "id" not in tweet):
            raise BadExportFile(f"{path.name}: item {i} has no tweet id")
        tid = str(tweet.get("id_str") or tweet["id"])
        yield FetchedPost(
            native_id=tid,
            text=str(tweet.get("full_text") or tweet.get("text") or ""),
            created_at=_parse_time(str(tweet.get("created_at", "0")), f"{path.name} item {i}"),
            url=f"https://x.com/i/web/status/{tid}",
        )


def _read_reddit_csv(path: Path) -> Iterator[FetchedPost]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = set(reader.fieldnames or ())
        if "id" not in fields or not fields & {"body", "title"}:
            raise BadExportFile(
                f"{path.name}: expected a Reddit export with columns id and body or title"
            )
        for lineno, row in enumerate(reader, 2):
            text = "\n\n".join(v for v in (row.get("title"), row.get("body")) if v)
            permalink = row.get("permalink") or ""
            yield FetchedPost(
                native_id=row["id"],
                text=text,
                created_at=_parse_time(row.get("date") or "0", f"{path.name} line {lineno}"),
                url=permalink if permalink.startswith("http") else "",
            )


def read_posts(path: Path) -> list[FetchedPost]:
    """All posts in an export file. Raises :class:`BadExportFile` or ``SourceUnavailable``."""
    if not path.is_file():
        raise AccountUnavailable(f"file not found: {path}")
    name = path.name.lower()
    try:
        if name.endswith(".jsonl"):
            return list(_read_jsonl(path))
        if name.endswith(".js"):
            return list(_read_tweets_js(path))
        if name.endswith(".csv"):
            return list(_read_reddit_csv(path))
    except UnicodeDecodeError as exc:
        raise BadExportFile(f"{path.name}: not UTF-8 text") from exc
    except OSError as exc:
        raise SourceUnavailable(f"cannot read {path.name}: {exc.strerror}") from exc
    raise BadExportFile(f"{path.name}: unknown format; expected .jsonl, tweets.js or a .csv")


def _fingerprint(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError as exc:
        raise AccountUnavailable(f"file not found: {path}") from exc
    except OSError as exc:
        raise SourceUnavailable(f"cannot read {path.name}: {exc.strerror}") from exc


class FileConnector:
    network = NETWORK

    def __init__(self, base_dir: Path | None = None) -> None:
        self.base_dir = base_dir

    def _path(self, account: AccountRef) -> Path:
        path = Path(account.handle).expanduser()
        if not path.is_absolute() and self.base_dir is not None:
            path = self.base_dir / path
        return path

    def fetch(self, account: AccountRef, cursor: str | None) -> FetchResult:
        path = self._path(account)
        fingerprint = _fingerprint(path)
        if cursor == fingerprint:
            return FetchResult(cursor=cursor, requests_made=0)
        return FetchResult(new=read_posts(path), cursor=fingerprint)

    def recheck(self, account: AccountRef, native_ids: Sequence[str]) -> FetchResult:
        by_id = {p.native_id: p for p in read_posts(self._path(account))}
        return FetchResult(
            edited=[by_id[i] for i in native_ids if i in by_id],
            deleted=[i for i in native_ids if i not in by_id],
        )

    def verify(self, account: AccountRef) -> AccountRef:
        read_posts(self._path(account))
        return account

    def close(self) -> None:
        """Nothing to release: files are opened and closed per read."""


def build(options: dict[str, object]) -> FileConnector:
    base = options.get("base_dir")
    return FileConnector(Path(str(base)) if base else None)
