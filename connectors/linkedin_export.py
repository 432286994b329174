"""The LinkedIn connector: the member's own data export ("Get a copy of your data").

LinkedIn has no public API for reading a member's posts, so the employee requests the
archive (Settings & Privacy -> Data privacy -> Get a copy of your data) and drops it, as
the ``.zip`` LinkedIn mails or unpacked, in a folder: the account's handle is that watched
folder (or one archive, or one unpacked export). Each poll reads the newest archive in the
folder that holds public files (newest by modification time); an older one is not read
again, and a newer one dropped later is read whole on the next poll.

Only the member's public content is read, picked by name:

- ``Shares.csv`` (also ``Shares_<member id>.csv``): ``Date``, ``ShareLink``,
  ``ShareCommentary``, ``SharedUrl``, ``MediaUrl``, ``Visibility``. The text is the
  commentary, then the shared address when the commentary does not hold it. A reshare with
  no commentary is someone else's post: not read. The native id is the share's URN from
  ``ShareLink`` (``urn:li:share:...``, ``urn:li:ugcPost:...``).
- ``Comments.csv`` (also ``Comments_<member id>.csv``): ``Date``, ``Link`` (the post
  commented on), ``Message``. The native id is ``linkedin-comment:`` and a hash of date and
  link (the export gives comments no id).
- articles, ``Articles/.../<slug>.html``: the ``<h1>`` title and the body, with the address
  of each link whose text hides it; the date is the ``published`` one, else ``created``.
  The native id is ``linkedin-article:<slug>``, the address ``linkedin.com/pulse/<slug>``.

Every other file of the archive (``messages.csv``, ``Connections.csv``, ``Profile.csv``,
``Invitations.csv``, ``Email Addresses.csv``, ``Reactions.csv``, ...) is skipped unopened:
:attr:`LinkedInExportConnector.skipped` lists them per handle and one log line names them
(never post text). A handle naming one raises
:class:`~connectors.exports.common.PrivateExportFile`; a ``Shares.csv`` or ``Comments.csv`` with
message columns (``FROM``, ``TO``, ``CONVERSATION ID``, ...) is refused the same way.

Shares are read whatever their ``Visibility`` (``PUBLIC``, ``MEMBER_NETWORK``, ...): they
are the member's own posts, shown at least to their whole network. Dates are
``YYYY-MM-DD HH:MM:SS`` in UTC (a few other spellings are read too); a row whose date cannot
be read is kept, dated with the file's time in the archive, and says so in its
``metadata`` (:class:`~connectors._http.NotedPost`). A CSV row that cannot be read at all is
skipped and counted (``FetchResult.dropped``; the log gives file and line, never the text).

Errors: no folder -> ``AccountUnavailable``; a folder with no archive yet ->
:class:`~connectors.exports.common.EmptyExport` (tried again later); a zip that cannot be
read (still being copied, damaged) -> :class:`~connectors.exports.common.UnreadableExport`
(backed off like an outage); archives with no public file, a password-protected zip or a
public file of the wrong shape -> :class:`~connectors.exports.common.BadExportFile` naming
the file.

The cursor is a fingerprint of the public files of the archive read: an unchanged export
costs nothing. ``recheck`` reports posts still in the export as ``edited`` candidates and
posts no longer in it as ``missing``, never ``deleted`` (an export is a snapshot); nothing is
missing while the export has unreadable rows.
"""

from __future__ import annotations

import hashlib
import logging
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import Field

from connectors._export import ExportConnector
from connectors.base import (
    AccountRef,
    AccountUnavailable,
    ConnectorOptions,
    FetchedPost,
    SourceUnavailable,
)
from connectors.exports.common import (
    BadExportFile,
    EmptyExport,
    PrivateExportFile,
    UnreadableExport,
)
from connectors.exports.linkedin import _read_article, _read_comments, _read_shares

NETWORK = "linkedin-export"
log = logging.getLogger("connectors.linkedin_export")

_SHARES = re.compile(r"^shares(_\d+)?\.csv$")
_COMMENTS = re.compile(r"^comments(_\d+)?\.csv$")
# Names of export files that hold other people's data or account data.
_PRIVATE_HINTS = (
    "message", "connection", "invitation", "profile", "email", "phone", "registration",
    "address", "ad_target", "ads", "inference", "login", "security", "account", "contact",
    "member_follow", "whatsapp", "payment", "receipt", "job", "saved", "search", "learning",
    "reaction", "vote", "recommendation", "endorsement", "group", "event",
)
_PUBLIC_LIST = "Shares.csv, Comments.csv and the articles (Articles/*.html)"
_LOGGED_NAMES = 20
_MAX_FILE_BYTES = 64 * 1024 * 1024  # one public file of an export; far above real ones
_PARTIAL_SUFFIXES = (".part", ".crdownload", ".download", ".tmp")


def public_kind(name: str) -> str | None:
    """``shares``, ``comments`` or ``article`` for a public file of the export, else None.
    ``name`` is its path inside the archive (``/``-separated)."""
    path = PurePosixPath(name)
    lower = path.name.lower()
    if _SHARES.match(lower):
        return "shares"
    if _COMMENTS.match(lower):
        return "comments"
    if lower.endswith((".html", ".htm")) and any(p.lower() == "articles" for p in path.parts[:-1]):
        return "article"
    return None


def _refuse(name: str) -> BadExportFile:
    lower = PurePosixPath(name).name.lower()
    if any(hint in lower for hint in _PRIVATE_HINTS):
        return PrivateExportFile(
            f"{name} is private (messages, connections or account data); it is never read. "
            f"Only {_PUBLIC_LIST} of a LinkedIn export are"
        )
    return BadExportFile(f"{name}: not a public file of a LinkedIn export; expected {_PUBLIC_LIST}")


class _Archive:
    """One export, zipped or unpacked (or a single public file): names and bounded reads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = path.name
        self._zip: zipfile.ZipFile | None = None
        self._files: dict[str, Path] = {}
        try:
            if path.is_dir():
                for item in sorted(path.rglob("*")):
                    if item.is_file():
                        self._files[item.relative_to(path).as_posix()] = item
            elif zipfile.is_zipfile(path):
                self._zip = zipfile.ZipFile(path)
            elif path.suffix.lower() == ".zip":
                raise UnreadableExport(
                    f"{self.label}: not a readable zip (still being copied, or damaged)"
                )
            else:
                self._files[path.name] = path
        except (zipfile.BadZipFile, EOFError) as exc:
            raise UnreadableExport(
                f"{self.label}: not a readable zip (still being copied, or damaged)"
            ) from exc
        except OSError as exc:
            raise SourceUnavailable(f"cannot read {self.label}: {exc.strerror}") from exc

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def names(self) -> list[str]:
        if self._zip is not None:
            return sorted(i.filename for i in self._zip.infolist() if not i.is_dir())
        return list(self._files)

    def fingerprint(self, names: Sequence[str]) -> str:
        """Changes when a public file changes (zip: its CRC and size; folder: its bytes)."""
        digest = hashlib.sha256(self.label.encode() + b"\0")
        for name in names:
            digest.update(name.encode() + b"\0")
            if self._zip is not None:
                info = self._zip.getinfo(name)
                digest.update(f"{info.CRC}:{info.file_size}".encode())
            else:
                digest.update(self.read(name))
            digest.update(b"\0")
        return digest.hexdigest()

    def read(self, name: str) -> bytes:
        try:
            if self._zip is not None:
                info = self._zip.getinfo(name)
                if info.flag_bits & 0x1:
                    raise BadExportFile(f"{self.label}: the zip is password-protected")
                if info.file_size > _MAX_FILE_BYTES:
                    raise BadExportFile(f"{name}: too large for a LinkedIn export file")
                with self._zip.open(info) as fh:
                    return fh.read(_MAX_FILE_BYTES + 1)[:_MAX_FILE_BYTES]
            path = self._files[name]
            if path.stat().st_size > _MAX_FILE_BYTES:
                raise BadExportFile(f"{name}: too large for a LinkedIn export file")
            return path.read_bytes()
        except (zipfile.BadZipFile, EOFError, ValueError) as exc:  # ValueError: bad CRC/offsets
            raise UnreadableExport(f"{self.label}: {name} cannot be read from the zip") from exc
        except RuntimeError as exc:  # zipfile: encrypted member
            raise BadExportFile(f"{self.label}: the zip is password-protected") from exc
        except OSError as exc:
            raise SourceUnavailable(f"cannot read {name}: {exc.strerror}") from exc

    def stamp(self, name: str) -> datetime:
        """When the file was written (the fallback date of an undated article)."""
        if self._zip is not None:
            try:
                return datetime(*self._zip.getinfo(name).date_time, tzinfo=UTC)
            except (KeyError, ValueError):
                return datetime.fromtimestamp(self.path.stat().st_mtime, UTC)
        return datetime.fromtimestamp(self._files[name].stat().st_mtime, UTC)


@dataclass
class ExportRead:
    """What one read found (names are paths inside the archive)."""

    archive: str = ""
    posts: list[FetchedPost] = field(default_factory=list)
    read: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    bad_lines: list[str] = field(default_factory=list)
    fingerprint: str = ""


def _looks_like_export(folder: Path) -> bool:
    """A folder that is an unpacked export itself (not a folder of archives)."""
    try:
        return any(
            (item.is_file() and item.suffix.lower() == ".csv")
            or (item.is_dir() and item.name.lower() == "articles")
            for item in folder.iterdir()
        )
    except OSError as exc:
        raise SourceUnavailable(f"cannot read the folder {folder.name}: {exc.strerror}") from exc


def _candidates(folder: Path) -> list[Path]:
    """Archives dropped in a watched folder, newest first (zips and unpacked folders)."""
    found: list[tuple[float, str, Path]] = []
    try:
        for item in folder.iterdir():
            name = item.name.lower()
            if name.startswith(".") or name.endswith(_PARTIAL_SUFFIXES):
                continue
            if item.is_dir() or (item.is_file() and name.endswith(".zip")):
                found.append((item.stat().st_mtime, item.name, item))
    except OSError as exc:
        raise SourceUnavailable(f"cannot read the folder {folder.name}: {exc.strerror}") from exc
    return [path for _, _, path in sorted(found, reverse=True)]


def _open_export(path: Path) -> tuple[_Archive, list[str], list[str], int]:
    """The archive to read, its public and other file names, and how many older or
    public-less archives were passed over."""
    if not path.exists():
        raise AccountUnavailable(f"folder not found: {path}")
    if path.is_file() and path.suffix.lower() != ".zip" and public_kind(path.name) is None:
        raise _refuse(path.name)
    if path.is_file() or _looks_like_export(path):
        choices = [path]
    else:
        choices = _candidates(path)
        if not choices:
            raise EmptyExport(
                f"{path.name}: no LinkedIn archive in this folder yet (drop the .zip that "
                "LinkedIn sends, or its unpacked folder); nothing reported"
            )
    skipped_everywhere: list[str] = []
    for passed, choice in enumerate(choices):
        archive = _Archive(choice)
        names = archive.names()
        public = [n for n in names if public_kind(n)]
        others = [n for n in names if not public_kind(n)]
        if public:
            return archive, public, others, passed
        archive.close()
        skipped_everywhere += others
    shown = ", ".join(sorted({PurePosixPath(n).name for n in skipped_everywhere})[:_LOGGED_NAMES])
    raise BadExportFile(
        f"{path.name}: no Shares.csv, Comments.csv or articles in "
        f"{'the archive' if len(choices) == 1 else f'any of {len(choices)} archives'}; "
        f"skipped (not public): {shown or 'nothing'}"
    )


def read_export(path: Path) -> ExportRead:
    """All posts of the export at ``path``; see the module docstring for what raises."""
    archive, public, others, passed = _open_export(path)
    out = ExportRead(archive=archive.label, skipped=others)
    try:
        out.fingerprint = archive.fingerprint(public)
        for name in public:
            kind = public_kind(name)
            data = archive.read(name)
            if kind == "shares":
                _read_shares(data, name, archive.stamp(name), out)
            elif kind == "comments":
                _read_comments(data, name, archive.stamp(name), out)
            else:
                _read_article(data, name, archive, out)
            out.read.append(name)
    finally:
        archive.close()
    if others:
        shown = ", ".join(others[:_LOGGED_NAMES])
        more = len(others) - _LOGGED_NAMES
        log.info(
            "linkedin export %s: skipped %d file(s) that are not public (messages, "
            "connections, profile, ...): %s%s",
            archive.label, len(others), shown, f" and {more} more" if more > 0 else "",
        )
    if passed:
        log.info("linkedin export %s: read %s; %d other archive(s) in the folder not read",
                 path.name, archive.label, passed)
    if out.bad_lines:
        log.warning(
            "linkedin export %s: skipped %d unreadable row(s): %s",
            archive.label, len(out.bad_lines), ", ".join(out.bad_lines[:_LOGGED_NAMES]),
        )
    if not out.posts:
        if out.bad_lines:
            raise UnreadableExport(f"{out.bad_lines[0]}: no readable posts (every row is bad)")
        raise EmptyExport(f"{archive.label}: the export holds no posts; nothing reported")
    return out


def _fingerprint(path: Path) -> str:
    archive, public, _, _ = _open_export(path)
    try:
        return archive.fingerprint(public)
    finally:
        archive.close()


class LinkedInExportConnector(ExportConnector):
    """Reads the newest LinkedIn export in a watched folder. Raises only ConnectorError."""

    network = NETWORK
    fingerprint_before_read = False  # the archive read is the one its fingerprint names

    def __init__(self, base_dir: Path | None = None) -> None:
        super().__init__(base_dir)
        # handle -> name of the archive read last
        self.read_from: dict[str, str] = {}

    def read(self, path: Path) -> ExportRead:
        return read_export(path)

    def fingerprint(self, path: Path) -> str:
        return _fingerprint(path)

    def _remember(self, account: AccountRef, export: Any) -> None:
        self.read_from[account.handle] = export.archive


class Options(ConnectorOptions):
    """``[networks.linkedin_export]``."""

    base_dir: str = Field("", description="Folder that relative linkedin-export handles "
                          "(watched folders) are read from; empty means the working directory.")


def build(options: dict[str, Any]) -> LinkedInExportConnector:
    """A LinkedIn export connector; option ``base_dir`` for relative handles."""
    base = Options.of(options).base_dir
    return LinkedInExportConnector(Path(base) if base else None)
