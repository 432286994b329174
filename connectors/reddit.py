"""The Reddit connector: praw with read-only ("application only") credentials.

Options (``[networks.reddit]``):
    ``client_id``        secret, from ``SOCIAL_MONITOR_REDDIT_CLIENT_ID``
    ``client_secret``    secret, from ``SOCIAL_MONITOR_REDDIT_CLIENT_SECRET``
    ``user_agent``       sent with every request (see below)
    ``contact_user``     the Reddit account that runs the app: the ``(by /u/...)`` of the
                         User-Agent
    ``oauth_url``        default ``https://oauth.reddit.com``
    ``reddit_url``       default ``https://www.reddit.com`` (where the token is obtained)
    ``limit``            items per listing page, at most 100 (default 100)
    ``timeout_seconds``  per request (default 20)
    ``max_retry_after_seconds``  latest a rate-limit retry may lie ahead (default 86400)

Handle: the username, with or without ``u/`` (``spez``, ``u/spez``). Credentials: a
"script" or "web" app from https://www.reddit.com/prefs/apps; its id and secret are used
for app-only OAuth (no user password). Missing (the message names every variable that is
unset) or refused -> ``AuthFailed``.

User-Agent (:func:`user_agent`): Reddit asks for ``<platform>:<app id>:<version> (by
/u/<user>)`` and throttles or blocks generic ones. A ``user_agent`` option in that form is
sent as is; empty or the old default ``social-monitor/0.1``, it becomes
``python:social-monitor:<version> (by /u/<contact_user>)``; without ``contact_user`` the
``(by ...)`` part is left out and a warning says what to set. Any other ``user_agent`` is
sent as configured, with a warning. praw appends its own name and version.

Posts are submissions (native id ``t3_...``) and comments (``t1_...``), both public by
nature. Cursor: the newest id seen per kind; Reddit ids grow with time, so a poll stops at
the first item not newer than it (even if that very item was deleted since). The first
poll reads only the newest page of each kind. ``recheck`` reads flagged items again with
``/api/info``: a ``[deleted]``/``[removed]`` body (or a moderator's removal) is a confirmed
``deleted``; an id the answer leaves out is only ``missing``; an ``edited`` time means
edited. A failed request raises.

Answers of an unexpected shape raise :class:`~connectors.base.BadPayload`; items whose id is
unusable are dropped and counted (``FetchResult.dropped``). No answer at all (refused,
timeout, DNS, TLS; after prawcore's own retries) is :class:`~connectors._http.HostUnreachable`
naming the host: "reddit: cannot reach oauth.reddit.com: connection refused", never the
path, query or credentials.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import praw
import praw.exceptions
import prawcore
import requests

from connectors._http import (
    Clock,
    dump_cursor,
    keep_usable,
    load_cursor,
    max_retry_after,
    require_secret,
    retry_at_from_headers,
    session_with_timeout,
    unreachable,
    utcnow,
)
from connectors.base import (
    MAX_RETRY_AFTER_SECONDS,
    AccountRef,
    AccountUnavailable,
    AuthFailed,
    BadPayload,
    FetchedPost,
    FetchResult,
    RateLimited,
    SourceUnavailable,
)
from connectors.reddit_options import HANDLE, Options, user_agent

NETWORK = "reddit"
ID_ENV = "SOCIAL_MONITOR_REDDIT_CLIENT_ID"
SECRET_ENV = "SOCIAL_MONITOR_REDDIT_CLIENT_SECRET"
MAX_ITEMS = 1000  # Reddit lists at most ~1,000 items per listing anyway
_DELETED = frozenset({"[deleted]", "[removed]"})
class _Quota:
    """Remembers Reddit's rate-limit headers, per session, and counts requests per thread.

    prawcore sleeps before a request when the quota is used up (up to the reset, minutes);
    checking here first turns that sleep into ``RateLimited`` so a worker is never held.
    """

    def __init__(self, clock: Clock, max_seconds: float = MAX_RETRY_AFTER_SECONDS) -> None:
        self._clock = clock
        self._max_seconds = max_seconds
        self._lock = threading.Lock()
        self._local = threading.local()
        self.retry_at: datetime | None = None

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._local.count = self.count() + 1
        remaining = response.headers.get("x-ratelimit-remaining")
        if remaining is None:
            return
        try:
            left = float(remaining)
        except ValueError:
            return  # an unreadable header: prawcore's own 429 handling still applies
        with self._lock:
            if left <= 0:
                self.retry_at = retry_at_from_headers(
                    response.headers,
                    self._clock(),
                    relative_reset=True,
                    max_seconds=self._max_seconds,
                )
            else:
                self.retry_at = None

    def count(self) -> int:
        return int(getattr(self._local, "count", 0))

    def check(self) -> None:
        with self._lock:
            retry_at = self.retry_at
        if retry_at is not None and self._clock() < retry_at:
            raise RateLimited(retry_at, "reddit: quota used up")


def _field(item: Any, name: str, default: Any = None) -> Any:
    """An attribute praw already has; plain getattr on a praw object fetches it lazily."""
    return vars(item).get(name, default)


def _text_of(item: Any) -> str:
    if isinstance(item, praw.models.Comment):
        return str(_field(item, "body", ""))
    body = _field(item, "selftext", "") if _field(item, "is_self") else _field(item, "url", "")
    return "\n\n".join(str(part) for part in (_field(item, "title", ""), body) if part)


def _url_of(item: Any) -> str:
    permalink = _field(item, "permalink")
    if permalink:
        return f"https://www.reddit.com{permalink}"
    # Older listings (the 2016 recordings) send comments without a permalink.
    link = str(_field(item, "link_id", "t3_"))[3:]
    return f"https://www.reddit.com/comments/{link}/_/{item.id}/"


def _is_deleted(item: Any) -> bool:
    if isinstance(item, praw.models.Comment):
        return str(_field(item, "body", "")) in _DELETED
    return (
        str(_field(item, "selftext", "")) in _DELETED
        or _field(item, "removed_by_category") is not None
        or (_field(item, "author") is None and not _field(item, "is_self"))
    )


class RedditConnector:
    """Reads a redditor's public submissions and comments. Raises only ConnectorError."""

    network = NETWORK

    def __init__(
        self,
        reddit: praw.Reddit | None,
        *,
        limit: int = 100,
        clock: Clock = utcnow,
        quota: _Quota | None = None,
        session: requests.Session | None = None,
        missing: str = "",
    ) -> None:
        # reddit is None when credentials are missing; ``missing`` then names the variables.
        self._reddit = reddit
        self._limit = max(1, min(100, limit))
        self._clock = clock
        self._quota = quota or _Quota(clock)
        self._session = session
        self._missing = missing
        self._max_retry = self._quota._max_seconds

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    def _require(self) -> praw.Reddit:
        if self._reddit is None:
            raise AuthFailed(f"reddit: no credentials; set {self._missing}")
        return self._reddit

    @contextmanager
    def _translated(self, what: str) -> Iterator[None]:
        """The one place praw/prawcore errors become ours."""
        try:
            yield
        except prawcore.TooManyRequests as exc:
            retry_at = retry_at_from_headers(
                exc.response.headers,
                self._clock(),
                relative_reset=True,
                max_seconds=self._max_retry,
            )
            raise RateLimited(retry_at, f"reddit: {what}: rate limited") from exc
        except (prawcore.InvalidToken, prawcore.InsufficientScope, prawcore.OAuthException) as exc:
            raise AuthFailed(f"reddit: credentials refused; check {ID_ENV}/{SECRET_ENV}") from exc
        except prawcore.Forbidden as exc:
            raise AccountUnavailable("suspended or private (HTTP 403)") from exc
        except (prawcore.NotFound, prawcore.Redirect) as exc:
            raise AccountUnavailable("not found") from exc
        except prawcore.BadJSON as exc:
            raise BadPayload(f"reddit: {what}: answer is not JSON") from exc
        except prawcore.ServerError as exc:
            status = exc.response.status_code
            raise SourceUnavailable(f"reddit: {what}: server error (HTTP {status})") from exc
        except prawcore.ResponseException as exc:
            status = exc.response.status_code
            if status == 401:
                raise AuthFailed(
                    f"reddit: credentials refused; check {ID_ENV}/{SECRET_ENV}"
                ) from exc
            raise SourceUnavailable(f"reddit: {what}: unexpected HTTP {status}") from exc
        except prawcore.RequestException as exc:
            original = exc.original_exception
            if isinstance(original, requests.ConnectionError | requests.Timeout):
                # No answer at all: name the host (never the path, query or credentials).
                raise unreachable(NETWORK, self._request_url(exc), original) from exc
            name = type(original).__name__
            raise SourceUnavailable(f"reddit: {what}: {name}") from exc
        except (prawcore.PrawcoreException, praw.exceptions.PRAWException) as exc:
            raise SourceUnavailable(f"reddit: {what}: {type(exc).__name__}") from exc
        except RecursionError as exc:
            raise BadPayload(f"reddit: {what}: answer nests too deeply to read") from exc
        except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
            # praw turns answers of an unexpected shape into these.
            raise BadPayload(f"reddit: {what}: expected a Listing of t1/t3 things") from exc

    def _request_url(self, error: prawcore.RequestException) -> str:
        """The address a request that got no answer went to: prawcore passes it as ``url``
        (listings) or as the second positional argument (the token request)."""
        url = (error.request_kwargs or {}).get("url")
        if not isinstance(url, str) and len(error.request_args or ()) >= 2:
            url = error.request_args[1]
        if isinstance(url, str) and url:
            return url
        return str(self._reddit.config.oauth_url) if self._reddit is not None else ""

    def _name(self, account: AccountRef) -> str:
        match = HANDLE.match(account.handle.strip())
        if match is None:
            raise AccountUnavailable("not a valid Reddit username (3-20 letters, digits, _ or -)")
        return match.group(1)

    def verify(self, account: AccountRef) -> AccountRef:
        """Check the redditor exists and is not suspended; native id is the ``t2_`` fullname."""
        reddit = self._require()
        redditor = reddit.redditor(self._name(account))
        self._quota.check()
        with self._translated("user lookup"):
            suspended = bool(getattr(redditor, "is_suspended", False))
            native = None if suspended else f"t2_{redditor.id}"
        if suspended:
            raise AccountUnavailable("suspended")
        return replace(account, native_id=native)

    def fetch(self, account: AccountRef, cursor: str | None) -> FetchResult:
        """Submissions and comments newer than the cursor (see the module docstring)."""
        reddit = self._require()
        before = self._quota.count()
        redditor = reddit.redditor(self._name(account))
        seen = load_cursor(cursor)
        # A kind missing from an existing cursor had no items at the baseline: read it all.
        baseline = cursor is None
        newest: dict[str, str] = {"t1": "0", "t3": "0"}
        newest.update({k: v for k, v in seen.items() if k in newest and isinstance(v, str)})
        new: list[FetchedPost] = []
        for kind, sublisting in (("t3", redditor.submissions), ("t1", redditor.comments)):
            last_n = None if baseline else int(newest[kind], 36)
            if last_n is None:  # first poll: one page, a baseline
                listing = sublisting.new(limit=self._limit)
            else:
                listing = sublisting.new(limit=MAX_ITEMS, request_limit=self._limit)
            items = iter(listing)
            while True:
                self._quota.check()
                with self._translated("listing"):
                    item = next(items, None)
                    if item is None:
                        break
                    number = int(item.id, 36)
                    if last_n is not None and number <= last_n:
                        if _field(item, "stickied", False):
                            continue  # a pinned old post sits on top; newer ones follow
                        break
                    if number > int(newest[kind], 36):
                        newest[kind] = str(item.id)
                    if not _is_deleted(item):
                        new.append(self._to_post(item))
        new, dropped = keep_usable(new, "reddit: listing")
        new.sort(key=lambda p: p.created_at)
        return FetchResult(
            new=new,
            cursor=dump_cursor(newest),
            requests_made=self._quota.count() - before,
            dropped=dropped,
        )

    def recheck(self, account: AccountRef, native_ids: Sequence[str]) -> FetchResult:
        """Deleted (``[deleted]``/``[removed]``), missing (left out) and edited items."""
        reddit = self._require()
        before = self._quota.count()
        wanted = [i for i in native_ids if i.startswith(("t1_", "t3_"))]
        found: dict[str, Any] = {}
        self._quota.check()
        with self._translated("item lookup"):
            if wanted:
                for item in reddit.info(fullnames=wanted):
                    found[str(item.fullname)] = item
            deleted = [i for i in native_ids if i in found and _is_deleted(found[i])]
            missing = [i for i in native_ids if i not in found]
            edited = [
                self._to_post(item)
                for item in found.values()
                if _field(item, "edited") and not _is_deleted(item)
            ]
        edited, dropped = keep_usable(edited, "reddit: item lookup")
        return FetchResult(
            edited=edited,
            deleted=deleted,
            missing=missing,
            requests_made=self._quota.count() - before,
            dropped=dropped,
        )

    def _to_post(self, item: Any) -> FetchedPost:
        edited = _field(item, "edited")
        return FetchedPost(
            native_id=str(item.fullname),
            text=_text_of(item),
            created_at=datetime.fromtimestamp(float(_field(item, "created_utc", 0)), UTC),
            url=_url_of(item),
            edited_at=datetime.fromtimestamp(float(edited), UTC) if edited else None,
        )


def build(options: dict[str, Any], *, clock: Clock = utcnow) -> RedditConnector:
    """A Reddit connector; without credentials every call raises AuthFailed naming every
    variable that is unset."""
    unset = [
        env
        for key, env in (("client_id", ID_ENV), ("client_secret", SECRET_ENV))
        if not str(options.get(key) or "").strip()
    ]
    if unset:
        missing = (
            f"the environment variable {unset[0]}"
            if len(unset) == 1
            else f"the environment variables {unset[0]} and {unset[1]}"
        )
        return RedditConnector(
            None, clock=clock, missing=missing, quota=_Quota(clock, max_retry_after(options))
        )
    client_id = require_secret(options, "client_id", ID_ENV, NETWORK)
    secret = require_secret(options, "client_secret", SECRET_ENV, NETWORK)
    opts = Options.of(options)
    timeout = opts.timeout_seconds
    quota = _Quota(clock, max_retry_after(options))
    session = session_with_timeout(timeout)
    session.hooks["response"].append(quota.hook)
    reddit = praw.Reddit(
        client_id=client_id,
        client_secret=secret,
        user_agent=user_agent(options),
        oauth_url=opts.oauth_url.rstrip("/"),
        reddit_url=opts.reddit_url.rstrip("/"),
        timeout=math.ceil(timeout),
        check_for_updates=False,
        check_for_async=False,
        requestor_kwargs={"session": session},
    )
    return RedditConnector(
        reddit, limit=opts.limit, clock=clock, quota=quota, session=session
    )
