"""The X (Twitter) connector: tweepy.Client on API v2 with an app-only bearer token.

Options (``[networks.x]``):
    ``api_base_url``     default ``https://api.twitter.com``; change only for a test server
    ``bearer_token``     secret, from ``SOCIAL_MONITOR_X_BEARER_TOKEN``
    ``max_results``      tweets per page, 5-100 (default 100)
    ``timeout_seconds``  per request (default 20)
    ``max_retry_after_seconds``  latest a rate-limit retry may lie ahead (default 86400)

Handle: the username, with or without ``@`` (``TwitterDev``); it is resolved once to the
numeric user id (``native_account_id``). Credentials: the app's bearer token from the X
developer portal (read access to users and tweets); missing or refused -> ``AuthFailed``.

Cursor: the newest tweet id seen, used as ``since_id``. The first poll reads only the newest
page (a baseline: past posts are the file connector's job); later polls page back to the
cursor. Retweets are skipped (someone else's words: asked with ``exclude=retweets`` and
dropped again by ``referenced_tweets``); a quote tweet is kept with its own text (the quoted
tweet is not fetched). An edit is a new tweet id: versions share ``group_id`` = the first id
of ``edit_history_tweet_ids`` and later versions come back in ``edited``.

Text (:func:`tweet_text`, also used for archives by the file connector): a post over 280
characters comes whole from ``note_tweet`` (asked for in ``tweet.fields``), else from
``text``; it is HTML-unescaped once (X sends ``Q&amp;A``), then every t.co link listed in
``entities.urls`` is replaced by its ``expanded_url``, so the detectors see the real address.

``recheck`` looks flagged tweets up with ``get_tweets``. An id the answer names in its
``errors`` as ``resource-not-found`` is ``deleted`` (a per-tweet verdict); an id absent with
no error, or with an error of another kind, is only ``missing``; a protected author's tweet
(``not-authorized-for-resource``) is neither. A failed request raises.

Access tier: reading user timelines needs an App inside a Project with Basic access or higher
(or pay-per-use credits). X's ``403`` with reason ``client-not-enrolled`` (the Free tier) is
``AuthFailed`` saying so, with X's own title/detail kept (one line, bounded, no post text).
A ``429`` is the 15-minute window (``x-rate-limit-reset``) unless its body is X's
``usage-capped`` problem (``UsageCapExceeded``, the project's monthly Post cap): then the
network rests until the cap resets, the day ``GET /2/usage/tweets`` names
(``cap_reset_day``), bounded by ``max_retry_after_seconds``; unknown -> the longest rest
allowed. No answer at all (refused, timeout, DNS, TLS) is
:class:`~connectors._http.HostUnreachable`: "x: cannot reach api.twitter.com: connection
refused", never the path, query or token.

Answers of an unexpected shape raise :class:`~connectors.base.BadPayload`; tweets whose id
is not a usable number are dropped and counted (``FetchResult.dropped``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

import requests
import tweepy
from pydantic import Field

from connectors._http import (
    Clock,
    TimeoutAdapter,
    clamp_retry_at,
    keep_usable,
    max_retry_after,
    require_secret,
    retry_at_from_headers,
    retry_at_from_seconds,
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
from connectors.x_posts import _to_post, _usable_tweets
from connectors.x_problems import (
    _NOT_AUTHORIZED,
    _NOT_FOUND,
    _clip,
    _error_verdicts,
    _forbidden_message,
    _is_usage_cap,
    _problem,
    _problem_reason,
    _said,
    next_month_day,
)

NETWORK = "x"
API_BASE = "https://api.twitter.com"
TOKEN_ENV = "SOCIAL_MONITOR_X_BEARER_TOKEN"
TWEET_FIELDS = [
    "created_at",
    "edit_history_tweet_ids",
    "referenced_tweets",
    "entities",  # entities.urls: the addresses behind t.co links
    "note_tweet",  # the whole text of a post over 280 characters
]
MAX_PAGES = 40  # X serves at most 3,200 tweets of a timeline: 32 pages of 100
_LOOKUP_BATCH = 100  # most ids one get_tweets call takes
HANDLE = re.compile(r"^@?([A-Za-z0-9_]{1,15})$")


class _NoDebugHeaders(logging.Filter):
    """tweepy logs request headers (the bearer token) at DEBUG: never let those out."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


logging.getLogger("tweepy.client").addFilter(_NoDebugHeaders())


class XConnector:
    """Reads public tweets of one account per call. Raises only ConnectorError subclasses."""

    network = NETWORK

    def __init__(
        self,
        client: tweepy.Client | None,
        *,
        max_results: int = 100,
        clock: Clock = utcnow,
        max_retry_after_seconds: float = MAX_RETRY_AFTER_SECONDS,
    ) -> None:
        # client is None when no bearer token is configured: every call says so.
        self._client = client
        self._max_results = max(5, min(100, max_results))
        self._clock = clock
        self._max_retry = max_retry_after_seconds

    def close(self) -> None:
        if self._client is not None:
            self._client.session.close()

    def _require_client(self) -> tweepy.Client:
        if self._client is None:
            raise AuthFailed(f"x: no bearer token; set the environment variable {TOKEN_ENV}")
        return self._client

    @contextmanager
    def _translated(self, what: str) -> Iterator[None]:
        """The one place tweepy and requests errors become ours."""
        try:
            yield
        except tweepy.TooManyRequests as exc:
            raise self._rate_limited(exc, what) from exc
        except tweepy.Unauthorized as exc:
            raise AuthFailed(f"x: bearer token refused (HTTP 401); check {TOKEN_ENV}") from exc
        except tweepy.Forbidden as exc:
            raise AuthFailed(_forbidden_message(_problem(exc.response), what)) from exc
        except tweepy.NotFound as exc:
            raise AccountUnavailable("not found") from exc
        except tweepy.TwitterServerError as exc:
            status = exc.response.status_code
            raise SourceUnavailable(f"x: {what}: server error (HTTP {status})") from exc
        except tweepy.HTTPException as exc:
            status = exc.response.status_code
            raise SourceUnavailable(f"x: {what}: unexpected HTTP {status}") from exc
        except requests.exceptions.JSONDecodeError as exc:
            raise BadPayload(f"x: {what}: answer is not JSON") from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            # No answer at all: name the host (never the path, query or token) and why.
            raise unreachable(NETWORK, _request_url(exc), exc) from exc
        except requests.RequestException as exc:
            raise SourceUnavailable(f"x: {what}: {type(exc).__name__}") from exc
        except tweepy.TweepyException as exc:
            raise SourceUnavailable(f"x: {what}: {type(exc).__name__}") from exc
        except RecursionError as exc:
            raise BadPayload(f"x: {what}: answer nests too deeply to read") from exc
        except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
            # tweepy reads answers of an unexpected shape (an array, null, ...) blindly.
            raise BadPayload(f"x: {what}: expected a JSON object with data/errors") from exc

    def _rate_limited(self, exc: tweepy.TooManyRequests, what: str) -> RateLimited:
        """A 429: the 15-minute window (``x-rate-limit-reset``), or the project's monthly
        Post cap (``usage-capped``), which resets on the day X's usage endpoint names."""
        now = self._clock()
        problem = _problem(exc.response)
        if not _is_usage_cap(problem):
            retry_at = retry_at_from_headers(exc.response.headers, now, max_seconds=self._max_retry)
            return RateLimited(retry_at, f"x: {what}: rate limited")
        said = _said(problem)
        period = _clip(problem.get("period")) or "Monthly"
        monthly = period == "Monthly"
        cap = "monthly Post cap" if monthly else f"{period.lower()} usage cap"
        resets = self._cap_reset(now) if monthly else None
        if resets is None:
            # X did not say when: try again as late as allowed (one cheap refused request).
            retry_at = retry_at_from_seconds(self._max_retry, now, self._max_retry)
            when = "X did not say when it resets"
        else:
            retry_at = clamp_retry_at(resets, now, self._max_retry)
            when = f"it resets on {resets.date().isoformat()}"
        return RateLimited(
            retry_at,
            f"x: {what}: the project's {cap} is used up{said}; {when} (a higher "
            "access level has a higher cap)",
        )

    def _cap_reset(self, now: datetime) -> datetime | None:
        """When the monthly Post cap resets, from ``GET /2/usage/tweets`` (``cap_reset_day``,
        the day of the month the cap resets on); None when X does not say."""
        if self._client is None:
            return None
        try:
            response = self._client.request("GET", "/2/usage/tweets")
            data = response.json().get("data")
            day = int(data["cap_reset_day"])
        except (
            tweepy.TweepyException,
            requests.RequestException,
            AttributeError,
            TypeError,
            KeyError,
            ValueError,
            OverflowError,
            RecursionError,
        ):
            return None
        return next_month_day(now, day) if 1 <= day <= 31 else None

    def verify(self, account: AccountRef) -> AccountRef:
        """Resolve the username to the user id; raise AccountUnavailable unless public."""
        client = self._require_client()
        match = HANDLE.match(account.handle.strip())
        if match is None:
            raise AccountUnavailable("not a valid X username (1-15 letters, digits or _)")
        with self._translated("user lookup"):
            response = client.get_user(username=match.group(1), user_fields=["protected"])
            if response.data is None:
                raise AccountUnavailable(_problem_reason(response.errors or []))
            protected = bool(response.data.protected)
            user_id = str(response.data.id)
        if protected:
            raise AccountUnavailable("protected")
        if not user_id.isdigit() or not usable_id(user_id):
            raise BadPayload("x: user lookup: expected a numeric user id")
        return replace(account, native_id=user_id)

    def fetch(self, account: AccountRef, cursor: str | None) -> FetchResult:
        """Tweets newer than ``cursor`` (a tweet id); see the module docstring."""
        client = self._require_client()
        requests_made = 0
        user_id = account.native_id
        if not user_id:
            user_id = self.verify(account).native_id
            requests_made += 1
        params: dict[str, Any] = {
            "max_results": self._max_results,
            "tweet_fields": TWEET_FIELDS,
            "exclude": ["retweets"],
        }
        if cursor:
            params["since_id"] = cursor
        tweets: list[tweepy.Tweet] = []
        dropped = 0
        for _ in range(MAX_PAGES):
            with self._translated("timeline"):
                response = client.get_users_tweets(user_id, **params)
                requests_made += 1
                if response.data is None and response.errors:
                    raise AccountUnavailable(_problem_reason(response.errors))
                page, bad = _usable_tweets(response.data or ())
                tweets += page
                dropped += bad
                next_token = (response.meta or {}).get("next_token")
            if not next_token or cursor is None:
                break
            params["pagination_token"] = str(next_token)
        new: list[FetchedPost] = []
        edited: list[FetchedPost] = []
        with self._translated("timeline"):
            for tweet in sorted(tweets, key=lambda t: int(t.id)):
                if any(ref.type == "retweeted" for ref in tweet.referenced_tweets or ()):
                    continue
                post = _to_post(tweet, account)
                (edited if post.group_id != post.native_id else new).append(post)
        new, bad_new = keep_usable(new, "x: timeline")
        edited, bad_edited = keep_usable(edited, "x: timeline")
        known = [int(cursor)] if cursor and cursor.isdigit() else []
        newest = max([int(t.id) for t in tweets] + known, default=None)
        return FetchResult(
            new=new,
            edited=edited,
            cursor=str(newest) if newest is not None else cursor,
            native_account_id=user_id,
            requests_made=requests_made,
            dropped=dropped + bad_new + bad_edited,
        )

    def recheck(self, account: AccountRef, native_ids: Sequence[str]) -> FetchResult:
        """Deleted (X says not found), missing (absent, no verdict) and edited tweets."""
        client = self._require_client()
        deleted: list[str] = []
        missing: list[str] = []
        newer_ids: list[str] = []
        requests_made = 0
        for start in range(0, len(native_ids), _LOOKUP_BATCH):
            batch = list(native_ids[start : start + _LOOKUP_BATCH])
            with self._translated("tweet lookup"):
                response = client.get_tweets(batch, tweet_fields=TWEET_FIELDS)
                requests_made += 1
                tweets, _ = _usable_tweets(response.data or ())
                found = {str(t.id): t for t in tweets}
                verdicts = _error_verdicts(response.errors or [])
                for tweet in found.values():
                    history = [str(i) for i in tweet.edit_history_tweet_ids or ()]
                    if history and history[-1] != str(tweet.id):
                        newer_ids.append(history[-1])
            for tweet_id in batch:
                if tweet_id in found:
                    continue
                verdict = verdicts.get(tweet_id)
                if verdict == _NOT_FOUND:
                    deleted.append(tweet_id)
                elif verdict != _NOT_AUTHORIZED:  # a protected author's tweet: hidden
                    missing.append(tweet_id)
        edited: list[FetchedPost] = []
        for start in range(0, len(newer_ids), _LOOKUP_BATCH):
            with self._translated("tweet lookup"):
                response = client.get_tweets(
                    newer_ids[start : start + _LOOKUP_BATCH], tweet_fields=TWEET_FIELDS
                )
                requests_made += 1
                tweets, _ = _usable_tweets(response.data or ())
                edited += [_to_post(t, account) for t in tweets]
        edited, dropped = keep_usable(edited, "x: tweet lookup")
        return FetchResult(
            edited=edited,
            deleted=deleted,
            missing=missing,
            requests_made=requests_made,
            dropped=dropped,
        )


def _request_url(error: requests.RequestException) -> str:
    """The address a failed request went to (after the adapter moved it), else X's own."""
    request = getattr(error, "request", None)
    url = getattr(request, "url", None)
    return url if isinstance(url, str) and url else API_BASE


class Options(ConnectorOptions):
    """``[networks.x]``."""

    api_base_url: str = Field(API_BASE, description="X API base address (change only to "
                              "point at a test server).")
    max_results: int = Field(100, ge=5, le=100, description="Tweets per page (5-100).")
    timeout_seconds: float = Field(20, gt=0, description="Seconds to wait for the X API.")


def make_client(options: dict[str, Any]) -> tweepy.Client | None:
    """The tweepy client for ``options``; None when no bearer token is configured."""
    try:
        token = require_secret(options, "bearer_token", TOKEN_ENV, NETWORK)
    except AuthFailed:
        return None
    opts = Options.of(options)
    base, timeout = opts.api_base_url.rstrip("/"), opts.timeout_seconds
    # wait_on_rate_limit stays off: it would sleep up to 15 minutes inside a worker.
    client = tweepy.Client(bearer_token=token, wait_on_rate_limit=False)
    # tweepy hard-codes its host and sets no timeout; the adapter supplies both.
    adapter = TimeoutAdapter(timeout, (API_BASE, base) if base != API_BASE else None)
    client.session.mount("https://", adapter)
    client.session.mount("http://", adapter)
    return client


def build(options: dict[str, Any], *, clock: Clock = utcnow) -> XConnector:
    """An X connector from ``[networks.x]`` options; without a token every call is AuthFailed."""
    return XConnector(
        make_client(options),
        max_results=Options.of(options).max_results,
        clock=clock,
        max_retry_after_seconds=max_retry_after(options),
    )
