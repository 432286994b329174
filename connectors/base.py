"""The connector interface, the values that cross it, and its error types.

A connector turns an :class:`AccountRef` and an opaque cursor into a :class:`FetchResult`:
new posts, edited posts, native ids confirmed deleted (``deleted``) or merely absent from a
batch answer (``missing``), and the next cursor. It receives its
client (tweepy.Client, praw.Reddit, an httpx.Client, a file path) from outside, so tests
can hand it one that replays recorded responses.

Error tree (each maps to one scheduling decision in ``monitor``)::

    ConnectorError                 base class; never raised itself
    ├── AuthFailed                 credentials bad or revoked -> pause the network, tell operator
    ├── AccountUnavailable         not found, suspended, protected, private -> mark the account,
    │                              stop polling it, tell the employee (``reason`` says which)
    ├── RateLimited                quota used up -> reschedule at ``retry_at``
    └── SourceUnavailable          5xx, timeout, network down -> back off and try again
        └── BadPayload             an answer (or an export line) of an unexpected shape: not
                                   JSON, an array where an object was expected, missing keys,
                                   nesting too deep to parse -> back off and try again

Library exceptions (tweepy, prawcore, httpx, ...) never leave a connector module: each
translates them into one of these with ``raise ... from exc``; neither do AttributeError,
TypeError, KeyError or RecursionError from reading an answer of an unexpected shape.

Bounds at the boundary: a "retry at" time is never later than now +
``max_retry_after_seconds`` (connector option; default :data:`MAX_RETRY_AFTER_SECONDS`), and
no post leaves a connector with a native id longer than :data:`MAX_NATIVE_ID_LENGTH` or
containing NUL or other control characters (such posts are dropped and counted in
``FetchResult.dropped``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, Self, runtime_checkable

from pydantic import BaseModel, ConfigDict

# The latest a RateLimited.retry_at may lie ahead (seconds): one day. A connector takes the
# option ``max_retry_after_seconds`` instead when it is given.
MAX_RETRY_AFTER_SECONDS = 86400
# The longest native id a connector hands out (ids of real posts are far shorter).
MAX_NATIVE_ID_LENGTH = 128


@dataclass(frozen=True)
class AccountRef:
    """One linked account as a connector sees it: never the employee behind it."""

    network: str
    handle: str
    native_id: str | None = None


@dataclass(frozen=True)
class FetchedPost:
    """A public post as fetched. ``created_at``/``edited_at`` are UTC-aware."""

    native_id: str
    text: str
    created_at: datetime
    url: str = ""
    edited_at: datetime | None = None
    # Several native ids can be versions of one post (X edits): they share a group id.
    group_id: str | None = None
    # Notes on how the post was read, plain strings, never post text: e.g. ``created_at:
    # poll time`` with ``created_at_reason`` when the source gave no readable date.
    metadata: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def content_hash(self) -> str:
        return content_hash(self.text)


def content_hash(text: str) -> str:
    """Stable hash of a post's text: a changed text is a new version to check again."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class FetchResult:
    """What one poll of one account found."""

    new: Sequence[FetchedPost] = ()
    edited: Sequence[FetchedPost] = ()
    # Confirmed gone, per post: the network answered "not found"/404/"[deleted]" for that post.
    deleted: Sequence[str] = ()
    # Not in a batch answer, without a per-post verdict: evidence, not proof. The caller
    # calls a post deleted only after several such checks in a row (an empty or partial
    # batch answer must never close flags).
    missing: Sequence[str] = ()
    cursor: str | None = None
    # Set when the connector resolved the handle to a stable id (X user id, ...).
    native_account_id: str | None = None
    requests_made: int = field(default=1, compare=False)
    # Posts dropped at the boundary: a native id that is too long or holds control
    # characters, or an unreadable line of a file export. A count only, never the text.
    dropped: int = field(default=0, compare=False)


@runtime_checkable
class Connector(Protocol):
    """One network. Implementations raise only :class:`ConnectorError` subclasses."""

    network: str

    def fetch(self, account: AccountRef, cursor: str | None) -> FetchResult:
        """Posts since ``cursor``. Raises a :class:`ConnectorError` subclass."""
        ...

    def recheck(self, account: AccountRef, native_ids: Sequence[str]) -> FetchResult:
        """Look again at posts with open flags: report the edited ones, the ones confirmed
        deleted per post (``deleted``) and the ones only absent from an answer (``missing``).
        A failed request raises; it never makes a post deleted or missing."""
        ...

    def verify(self, account: AccountRef) -> AccountRef:
        """Check the handle exists and is public; return it with ``native_id`` resolved."""
        ...

    def close(self) -> None:
        """Release HTTP sessions and other resources; the connector is not used afterwards."""
        ...


class ConnectorError(Exception):
    """Base of all connector errors. Carries no post text and no credentials."""


class AuthFailed(ConnectorError):
    """Credentials are missing, bad or revoked. Pause the whole network; tell the operator."""


class AccountUnavailable(ConnectorError):
    """The account is not found, suspended, protected or private. Stop polling it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RateLimited(ConnectorError):
    """The network's quota is used up. Poll again at ``retry_at`` (UTC-aware)."""

    def __init__(self, retry_at: datetime, message: str = "rate limited") -> None:
        super().__init__(f"{message}; retry at {retry_at.isoformat()}")
        self.retry_at = retry_at


class SourceUnavailable(ConnectorError):
    """Server error, timeout or network failure. Back off and try again later."""


class BadPayload(SourceUnavailable):
    """An answer not of the shape expected (not JSON, wrong type, missing keys, too deeply
    nested). The message names the network or file and what was expected, never the text."""


class UnknownNetwork(ConnectorError):
    """A network name that no connector is registered for."""


class ConnectorOptions(BaseModel):
    """A connector's settings (``networks.<name>``): typed, with their defaults and help,
    declared once here by the connector and composed into the application's settings.

    Secrets (tokens, client ids) are not options: the application passes them beside the
    options, from the environment only.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> Self:
        """The options in ``options`` (other keys, the secrets, are left to the connector);
        an empty value means the default."""
        return cls.model_validate({k: v for k, v in options.items()
                                   if k in cls.model_fields and v not in (None, "")})
