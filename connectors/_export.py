"""What the connectors that read an employee's own export files share: the handle is a path
(relative ones taken from ``base_dir``), the cursor a fingerprint of what was read, and a
re-check answers from the export as it is now."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from connectors.base import AccountRef, FetchedPost, FetchResult


class ReadExport(Protocol):
    """What reading an export gives: its posts, the lines or rows that could not be read,
    and the files that were skipped (not public)."""

    @property
    def posts(self) -> Sequence[FetchedPost]: ...
    @property
    def bad_lines(self) -> Sequence[int | str]: ...
    @property
    def skipped(self) -> Sequence[str]: ...


def recheck_in_export(
    posts: Sequence[FetchedPost], unreadable: int, native_ids: Sequence[str]
) -> FetchResult:
    """A re-check answered from the export as read now: posts still in it are edit
    candidates; posts no longer in it are ``missing`` (never ``deleted``: a file that
    changed is no proof), and nothing is missing while some of it could not be read."""
    by_id = {p.native_id: p for p in posts}
    return FetchResult(
        edited=[by_id[i] for i in native_ids if i in by_id],
        deleted=[],
        missing=[] if unreadable else [i for i in native_ids if i not in by_id],
        dropped=unreadable,
    )


class ExportConnector:
    """The connector for one kind of export; subclasses say how to read one and how to
    fingerprint it (``read`` and ``fingerprint``). Raises only ConnectorError."""

    network = ""
    # True: the cursor is the fingerprint taken before reading (never newer than what was
    # read); False: the reader's own fingerprint of what it read (``export.fingerprint``).
    fingerprint_before_read = True

    def __init__(self, base_dir: Path | None = None) -> None:
        self.base_dir = base_dir
        self._lock = threading.Lock()
        # handle -> files of the export not read at the last read (not public ones)
        self.skipped: dict[str, list[str]] = {}

    def read(self, path: Path) -> ReadExport:
        raise NotImplementedError

    def fingerprint(self, path: Path) -> str:
        """The cursor for the export at ``path`` as it is now."""
        raise NotImplementedError

    def _path(self, account: AccountRef) -> Path:
        path = Path(account.handle.strip()).expanduser()
        if not path.is_absolute() and self.base_dir is not None:
            path = self.base_dir / path
        return path

    def _read(self, account: AccountRef) -> ReadExport:
        export = self.read(self._path(account))
        with self._lock:
            self.skipped[account.handle] = list(export.skipped)
            self._remember(account, export)
        return export

    def _remember(self, account: AccountRef, export: ReadExport) -> None:
        """Anything else a subclass keeps of the last read (under the lock)."""

    def fetch(self, account: AccountRef, cursor: str | None) -> FetchResult:
        path = self._path(account)
        before = self.fingerprint(path) if cursor or self.fingerprint_before_read else None
        if cursor and before == cursor:
            return FetchResult(cursor=cursor, requests_made=0)
        export = self._read(account)
        read = None if self.fingerprint_before_read else getattr(export, "fingerprint", None)
        return FetchResult(new=export.posts, cursor=read or before or self.fingerprint(path),
                           dropped=len(export.bad_lines))

    def recheck(self, account: AccountRef, native_ids: Sequence[str]) -> FetchResult:
        """Posts still in the export (edited candidates) and posts no longer in it
        (``missing``, never ``deleted``; nothing missing while a line is unreadable)."""
        export = self._read(account)
        return recheck_in_export(export.posts, len(export.bad_lines), native_ids)

    def verify(self, account: AccountRef) -> AccountRef:
        self._read(account)
        return account

    def close(self) -> None:
        """Nothing to release: exports are opened and closed per read."""
