"""The shape of a handle, per network, checked when an account is linked.

``accounts link`` refuses a handle that cannot be right whatever the network answers (an X
name with spaces, a Mastodon handle without its server, a feed that is not http(s), a file
that is not there), so a typo is caught while the operator is at the keyboard and not at the
first poll. Whether the account exists and is public is a network question: ``accounts
verify`` asks it.

The user-name patterns are the connectors' own (``connectors.x.HANDLE``,
``connectors.reddit.HANDLE``): what is accepted here is what they can read.

Paths (``file``, ``linkedin-export``) are returned absolute, so an account keeps pointing at
the same export whatever folder the daemon runs in.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from connectors import reddit as reddit_connector
from connectors import x as x_connector
from connectors.exports.common import is_public_name
from connectors.linkedin_export import public_kind
from monitor.errors import BadInput

PATH_NETWORKS = frozenset({"file", "linkedin-export"})

_X = x_connector.HANDLE
_REDDIT = reddit_connector.HANDLE
_MASTODON_USER = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$")
_HOST = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(:\d{1,5})?$"
)
_LOCAL_HOST = re.compile(r"^(localhost|\d{1,3}(\.\d{1,3}){3})(:\d{1,5})?$")
_BLUESKY_HANDLE = re.compile(
    r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
)
_DID = re.compile(r"^did:(plc|web):[A-Za-z0-9._:%-]{1,2000}$")


def _bad(handle: str, what: str) -> BadInput:
    return BadInput(f"handle: {handle!r} {what}")


def _host_ok(host: str) -> bool:
    return bool(_HOST.match(host) or _LOCAL_HOST.match(host))


def absolute_path(handle: str, base_dir: Path | None = None, cwd: Path | None = None) -> Path:
    """Where a path handle points: ``~`` expanded, a relative path taken from ``base_dir``
    (``networks.file.base_dir``) or else the working directory."""
    path = Path(handle).expanduser()
    if not path.is_absolute():
        path = (base_dir if base_dir is not None else (cwd or Path.cwd())) / path
    return Path(os.path.abspath(path))


def _check_path(network: str, handle: str, base_dir: Path | None, cwd: Path | None) -> str:
    path = absolute_path(handle, base_dir, cwd)
    if not path.exists():
        raise _bad(handle, f"not found ({path}); expected the export's file or folder")
    if not os.access(path, os.R_OK):
        raise _bad(handle, f"cannot be read by this user ({path})")
    if path.is_file():
        if network == "file" and not is_public_name(path.name):
            raise _bad(handle, f"is not a public export file we read ({path.name}); expected "
                       "a .jsonl, tweets.js, note-tweet.js, posts.csv, comments.csv, "
                       "outbox.json, or the unpacked export's folder")
        if (network == "linkedin-export" and path.suffix.lower() != ".zip"
                and public_kind(path.name) is None):
            raise _bad(handle, f"is not a LinkedIn archive ({path.name}); expected the folder "
                       "the archives are dropped in, one .zip, or Shares.csv/Comments.csv")
    elif not path.is_dir():
        raise _bad(handle, f"is neither a file nor a folder ({path})")
    return str(path)


def _check_mastodon(handle: str, api_base_url: str) -> str:
    user, at, server = handle.lstrip("@").partition("@")
    if not user or not _MASTODON_USER.match(user):
        raise _bad(handle, "is not a Mastodon handle (expected user@server, like "
                   "alice@mastodon.social)")
    if not at:
        if api_base_url:
            return handle
        raise _bad(handle, "needs its server: expected user@server, like alice@mastodon.social")
    if not _host_ok(server):
        raise _bad(handle, f"names no server ({server!r} is not a host name); expected "
                   "user@server, like alice@mastodon.social")
    return handle


def _check_rss(handle: str) -> str:
    parts = urlsplit(handle)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(
        c.isspace() for c in handle
    ):
        raise _bad(handle, "is not a feed address (expected http(s)://host/feed, RSS or Atom)")
    return handle


def check_handle(
    network: str,
    handle: str,
    *,
    base_dir: Path | None = None,
    mastodon_base_url: str = "",
    cwd: Path | None = None,
) -> str:
    """The handle to store for ``network``, or :class:`BadInput` saying what was expected.

    Only the shape is checked (and, for paths, that the file or folder is there); nothing
    is asked of a network. Paths come back absolute; other handles stripped, as given.
    """
    handle = handle.strip()
    if not handle:
        raise BadInput("handle: empty (expected the account's handle, URL or file path)")
    if network in PATH_NETWORKS:
        return _check_path(network, handle, base_dir, cwd)
    if network == "x":
        if not _X.match(handle):
            raise _bad(handle, "is not an X user name (expected 1-15 letters, digits or _, "
                       "like TwitterDev or @TwitterDev)")
    elif network == "reddit":
        if not _REDDIT.match(handle):
            raise _bad(handle, "is not a Reddit user name (expected 3-20 letters, digits, _ "
                       "or -, like spez or u/spez)")
    elif network == "mastodon":
        return _check_mastodon(handle, mastodon_base_url)
    elif network == "bluesky":
        bare = handle.lstrip("@")
        if not (_BLUESKY_HANDLE.match(bare) or _DID.match(bare)):
            raise _bad(handle, "is not a Bluesky handle (expected a domain like "
                       "alice.bsky.social, or a did:plc:... identifier)")
    elif network == "rss":
        return _check_rss(handle)
    return handle


def stored_form(network: str, handle: str, base_dir: Path | None = None,
                cwd: Path | None = None) -> str:
    """How ``check_handle`` would store ``handle``, without checking it (for unlinking)."""
    handle = handle.strip()
    if network in PATH_NETWORKS and handle:
        return str(absolute_path(handle, base_dir, cwd))
    return handle
