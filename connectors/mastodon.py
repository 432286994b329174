"""The Mastodon connector: Mastodon.py against the account's own server.

Options (``[networks.mastodon]``):
    ``api_base_url``     ``""`` (default): the server named in each handle (``https://server``);
                         set it to read every account through one server
    ``access_token``     optional secret, from ``SOCIAL_MONITOR_MASTODON_ACCESS_TOKEN``; only
                         needed for servers that refuse anonymous API reads
    ``limit``            statuses per page, at most 40 (default 40)
    ``timeout_seconds``  per request (default 20)
    ``max_retry_after_seconds``  latest a rate-limit retry may lie ahead (default 86400)

Handle: ``user@server`` (``@user@server`` works too; plain ``user`` only with
``api_base_url``). Public reads need no credentials; a refused token -> ``AuthFailed``.

Only ``public`` and ``unlisted`` statuses are kept (never followers-only or direct ones,
even if a token could see them); boosts are skipped (someone else's words). Cursor: the
newest status id seen; later polls page forward with ``min_id``. The first poll reads the
newest page only. ``recheck`` reads each flagged status: a 404 or 410 for that status, or
a status no longer public, is ``deleted`` (a per-status verdict); an ``edited_at`` means
edited; a 5xx, a timeout or any other failure raises (never deleted).
A status's text is everything its author wrote: the content warning, the content (with
the address of each link whose text hides it), the options of a poll and the descriptions
of the media (``Poll option: ...``, ``Image description: ...``). What others wrote stays
out: the quoted post of a quote, its ``RE: <address>`` fallback line (``quote-inline``),
and a link card (the linked page's words).
Answers of an unexpected shape raise :class:`~connectors.base.BadPayload`; statuses whose
id is unusable are dropped and counted (``FetchResult.dropped``). A suspended account
answers with no statuses at all, so it shows up at ``verify`` (``accounts verify``), not as
an error of ``fetch``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)
from pydantic import Field

from connectors._html import html_text_and_links
from connectors._http import (
    DEFAULT_RATE_LIMIT_WAIT,
    Clock,
    as_utc,
    keep_usable,
    max_retry_after,
    parse_iso,
    retry_at_from_epoch,
    retry_at_from_seconds,
    session_with_timeout,
    unreachable,
    usable_id,
    utcnow,
)
from connectors.base import (
    MAX_RETRY_AFTER_SECONDS,
    AccountRef,
    AccountUnavailable,
    AuthFailed,
    BadPayload,
    ConnectorOptions,
    FetchedPost,
    FetchResult,
    RateLimited,
    SourceUnavailable,
)

NETWORK = "mastodon"
TOKEN_ENV = "SOCIAL_MONITOR_MASTODON_ACCESS_TOKEN"
PUBLIC = frozenset({"public", "unlisted"})
MAX_PAGES = 25
_EXPECTED = {
    "account lookup": "an account object with an id",
    "statuses": "an array of status objects",
    "status": "a status object",
}


def _status_id(status: Any) -> int:
    return int(status["id"])


class MastodonConnector:
    """Reads public statuses of accounts on any Mastodon server. Raises only ConnectorError."""

    network = NETWORK

    def __init__(
        self,
        *,
        api_base_url: str = "",
        access_token: str = "",
        limit: int = 40,
        timeout: float = 20,
        clock: Clock = utcnow,
        max_retry_after_seconds: float = MAX_RETRY_AFTER_SECONDS,
    ) -> None:
        self._max_retry = max_retry_after_seconds
        self._base = api_base_url.rstrip("/")
        self._token = access_token or None
        self._limit = max(1, min(40, limit))
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        # One client (and connection pool) per server, made on first use.
        self._clients: dict[str, tuple[Mastodon, requests.Session]] = {}

    def close(self) -> None:
        with self._lock:
            for _, session in self._clients.values():
                session.close()
            self._clients.clear()

    def _where(self, account: AccountRef) -> tuple[Mastodon, str]:
        """The client for the account's server and the ``acct`` to look up there."""
        handle = account.handle.strip().lstrip("@")
        user, _, server = handle.partition("@")
        if not user:
            raise AccountUnavailable("empty Mastodon handle")
        if self._base:
            base = self._base
            acct = user if server == urlsplit(base).netloc else handle
        elif server:
            base, acct = f"https://{server}", user
        else:
            raise AccountUnavailable("a Mastodon handle needs its server: user@server")
        with self._lock:
            if base not in self._clients:
                session = session_with_timeout(self._timeout)
                client = Mastodon(
                    api_base_url=base,
                    access_token=self._token,
                    # "throw", not the default "wait": never sleep inside a worker.
                    ratelimit_method="throw",
                    request_timeout=self._timeout,
                    version_check_mode="none",
                    session=session,
                    user_agent="social-monitor",
                )
                self._clients[base] = (client, session)
            return self._clients[base][0], acct

    @contextmanager
    def _translated(self, client: Mastodon, what: str) -> Iterator[None]:
        """The one place Mastodon.py errors become ours."""
        try:
            yield
        except MastodonRatelimitError as exc:
            now = self._clock()
            retry_at = retry_at_from_epoch(
                client.ratelimit_reset, now, self._max_retry
            ) or retry_at_from_seconds(DEFAULT_RATE_LIMIT_WAIT.total_seconds(), now)
            raise RateLimited(retry_at, f"mastodon: {what}: rate limited") from exc
        except MastodonUnauthorizedError as exc:
            raise AuthFailed(
                f"mastodon: {what}: the server wants a valid token; check {TOKEN_ENV}"
            ) from exc
        except MastodonNotFoundError as exc:
            raise AccountUnavailable("not found") from exc
        except MastodonServerError as exc:
            raise SourceUnavailable(f"mastodon: {what}: server error ({exc.args[1]})") from exc
        except MastodonNetworkError as exc:
            raise unreachable("mastodon", str(client.api_base_url), exc) from exc
        except MastodonAPIError as exc:
            if str(exc.args[0] if exc.args else "").startswith("Could not parse response"):
                # Mastodon.py quotes the body here: never pass it on.
                raise BadPayload(
                    f"mastodon: {what}: answer is not JSON (expected {_EXPECTED.get(what, 'JSON')})"
                ) from None
            status = exc.args[1] if len(exc.args) > 1 else None
            if status == 410:
                raise AccountUnavailable("gone") from exc
            if status == 403:
                raise AccountUnavailable("not public (HTTP 403)") from exc
            raise SourceUnavailable(f"mastodon: {what}: unexpected HTTP {status}") from exc
        except MastodonError as exc:
            raise SourceUnavailable(f"mastodon: {what}: {type(exc).__name__}") from exc
        except RecursionError as exc:
            raise BadPayload(f"mastodon: {what}: answer nests too deeply to read") from exc
        except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
            raise BadPayload(f"mastodon: {what}: expected {_EXPECTED.get(what, 'JSON')}") from exc

    def verify(self, account: AccountRef) -> AccountRef:
        """Look the handle up on its server; suspended or moved accounts are unavailable."""
        client, acct = self._where(account)
        with self._translated(client, "account lookup"):
            found = client.account_lookup(acct)
            suspended, moved = found.get("suspended"), found.get("moved")
            native_id = found.get("id")
        if not isinstance(native_id, str | int) or not usable_id(str(native_id)):
            raise BadPayload(f"mastodon: account lookup: expected {_EXPECTED['account lookup']}")
        native_id = str(native_id)
        if suspended:
            raise AccountUnavailable("suspended")
        if moved:
            raise AccountUnavailable("moved to another account")
        return replace(account, native_id=native_id)

    def fetch(self, account: AccountRef, cursor: str | None) -> FetchResult:
        """Public statuses newer than ``cursor`` (a status id)."""
        client, _ = self._where(account)
        requests_made = 0
        account_id = account.native_id
        if not account_id:
            account_id = self.verify(account).native_id
            requests_made += 1
        statuses: list[Any] = []
        newest = int(cursor) if cursor else None
        with self._translated(client, "statuses"):
            if newest is None:
                statuses = list(
                    client.account_statuses(account_id, limit=self._limit, exclude_reblogs=True)
                )
                requests_made += 1
            else:
                for _ in range(MAX_PAGES):
                    page = client.account_statuses(
                        account_id, min_id=str(newest), limit=self._limit, exclude_reblogs=True
                    )
                    requests_made += 1
                    statuses += page
                    if page:
                        newest = max(newest, *(_status_id(s) for s in page))
                    if len(page) < self._limit:
                        break
            if statuses:
                newest = max([_status_id(s) for s in statuses] + ([newest] if newest else []))
            posts = [self._to_post(s) for s in statuses if self._is_own_public(s)]
        posts, dropped = keep_usable(posts, "mastodon: statuses")
        posts.sort(key=lambda p: int(p.native_id))
        return FetchResult(
            new=posts,
            cursor=str(newest) if newest is not None else cursor,
            native_account_id=account_id,
            requests_made=requests_made,
            dropped=dropped,
        )

    def recheck(self, account: AccountRef, native_ids: Sequence[str]) -> FetchResult:
        """Deleted (404/410 for that status) and edited statuses; one request each."""
        client, _ = self._where(account)
        deleted: list[str] = []
        edited: list[FetchedPost] = []
        for status_id in native_ids:
            try:
                with self._translated(client, "status"):
                    status = client.status(status_id)
                    public = self._is_own_public(status)
                    changed = public and bool(status.get("edited_at"))
                    post = self._to_post(status) if changed else None
            except AccountUnavailable as exc:
                if exc.reason in ("not found", "gone"):  # 404/410: this status is gone
                    deleted.append(status_id)
                    continue
                raise
            if not public:
                deleted.append(status_id)  # made private: no longer public, same effect
            elif post is not None:
                edited.append(post)
        edited, dropped = keep_usable(edited, "mastodon: status")
        return FetchResult(
            edited=edited,
            deleted=deleted,
            missing=[],
            requests_made=len(native_ids),
            dropped=dropped,
        )

    @staticmethod
    def _is_own_public(status: Any) -> bool:
        return status.get("reblog") is None and status.get("visibility") in PUBLIC

    @staticmethod
    def _to_post(status: Any) -> FetchedPost:
        edited = status.get("edited_at")
        return FetchedPost(
            native_id=str(status["id"]),
            text=own_words(status),
            created_at=_time(status["created_at"]),
            url=str(status.get("url") or status.get("uri") or ""),
            edited_at=_time(edited) if edited else None,
        )


_MEDIA_WORDS = {"image": "Image", "gifv": "Animation", "video": "Video", "audio": "Audio"}


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def own_words(status: Any) -> str:
    """Everything the author wrote in a status (see the module docstring)."""
    text, links = html_text_and_links(str(status.get("content") or ""), ("quote-inline",))
    extras = list(links)
    poll = status.get("poll")
    if isinstance(poll, dict):
        for option in _items(poll.get("options")):
            title = option.get("title") if isinstance(option, dict) else None
            if isinstance(title, str) and title.strip():
                extras.append(f"Poll option: {title.strip()}")
    for media in _items(status.get("media_attachments")):
        if not isinstance(media, dict):
            continue
        description = media.get("description")
        if isinstance(description, str) and description.strip():
            kind = _MEDIA_WORDS.get(str(media.get("type") or ""), "Media")
            extras.append(f"{kind} description: {description.strip()}")
    warning = str(status.get("spoiler_text") or "").strip()
    return "\n\n".join(part for part in (warning, text, "\n".join(extras)) if part)


def _time(value: Any) -> datetime:
    """Mastodon.py gives datetimes (some versions in local time); raw JSON gives strings."""
    return as_utc(value) if isinstance(value, datetime) else parse_iso(str(value))


class Options(ConnectorOptions):
    """``[networks.mastodon]``."""

    api_base_url: str = Field("", description="Mastodon server address; empty means the "
                              "server named in each handle (user@server).")
    limit: int = Field(40, ge=1, le=80, description="Statuses per page.")
    timeout_seconds: float = Field(20, gt=0, description="Seconds to wait for a Mastodon server.")


def build(options: dict[str, Any], *, clock: Clock = utcnow) -> MastodonConnector:
    """A Mastodon connector from ``[networks.mastodon]`` options."""
    opts = Options.of(options)
    return MastodonConnector(
        api_base_url=opts.api_base_url,
        access_token=str(options.get("access_token") or ""),  # a secret, not an option
        limit=opts.limit,
        timeout=opts.timeout_seconds,
        clock=clock,
        max_retry_after_seconds=max_retry_after(options),
    )
