"""A local stand-in for the social networks' HTTP APIs, for tests and benchmarks.

It speaks just enough of each real wire format for our connectors and the released client
libraries (tweepy, praw, Mastodon.py, httpx + feedparser) to run end to end on loopback:

- X API v2: ``GET /2/users/by/username/:name``, ``/2/users/:id/tweets`` (``since_id``,
  ``max_results``, ``pagination_token``, ``exclude``), ``/2/tweets?ids=``. A tweet's text is
  written as X writes it: every link becomes a ``https://t.co/...`` link listed in
  ``entities.urls`` (with ``expanded_url``), ``&``, ``<`` and ``>`` are HTML-escaped, and a
  post over 280 characters is cut with its whole text in ``note_tweet`` (``entities`` and
  ``note_tweet`` only when ``tweet.fields`` asks for them). ``kind="repost"`` is a retweet
  (``referenced_tweets`` ``retweeted``), ``kind="quote"`` a quote tweet (``quoted``, the
  quoted tweet's t.co link appended to the text);
- Reddit: ``POST /api/v1/access_token``, ``GET /user/:name/about``,
  ``/user/:name/submitted``, ``/user/:name/comments`` (``limit``, ``after``), ``/api/info``;
- Mastodon: ``/api/v1/accounts/lookup``, ``/api/v1/accounts/:id``,
  ``/api/v1/accounts/:id/statuses`` (``since_id``, ``min_id``, ``max_id``, ``limit``),
  ``/api/v1/statuses/:id``, ``/api/v1/instance``;
- Bluesky AppView: ``/xrpc/app.bsky.actor.getProfile``, ``app.bsky.feed.getAuthorFeed``,
  ``app.bsky.feed.getPosts``, ``app.bsky.feed.getPostThread`` (a deleted or unknown post:
  HTTP 400 ``NotFound``, as the real AppView answers);
- feeds: ``/feeds/:handle.xml`` (RSS 2.0) and ``/feeds/:handle.atom`` (Atom) with ETag and
  Last-Modified, and each entry's page at ``/feeds/:handle/entries/:n``.

Usage::

    with FakeSocialAPI() as api:               # starts on a free loopback port
        api.add_account("x", "alice")
        tweet = api.add_post("x", "alice", "hello")
        api.edit_post("x", tweet.native_id, "hello again")   # X: a new id, same group
        api.fail("x", 429, times=1, reset_at=when)          # next X request is a 429
        api.answer("bluesky", b'{"posts": []}')              # next answer: this raw body
        connector = x.build({"api_base_url": api.url, "bearer_token": "t"})
        api.requests_for("x", "alice")                       # requests seen for that account

Accounts have a ``status``: ``active``, ``protected``, ``suspended`` or ``deactivated``;
:meth:`FakeSocialAPI.remove_account` makes one unknown. The population lives in memory
behind one lock, with per-account posts kept in id order, so 10,000 accounts are cheap.
Default post times are deterministic: 2025-01-06 09:00 UTC plus one minute per post.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from xml.sax.saxutils import escape

NETWORKS = ("x", "reddit", "mastodon", "bluesky", "rss")
STATUSES = ("active", "protected", "suspended", "deactivated")
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)

_X_ID_BASE = 1_800_000_000_000_000_000
_X_URL = re.compile(r"https?://[^\s<>\"]+")
_X_MAX_CHARS = 280  # longer posts: ``text`` is cut, the whole text is in ``note_tweet``
_MASTODON_ID_BASE = 113_000_000_000_000_000
_REDDIT_ID_BASE = 36**6  # base36 ids of 7 characters, like today's
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def _tid(n: int) -> str:
    """A Bluesky record key (TID): 13 sortable base32 characters from a microsecond count."""
    value = (int(START.timestamp() * 1_000_000) + n) << 10
    chars = []
    for _ in range(13):
        chars.append(_TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, rem = divmod(n, 36)
        out = digits[rem] + out
    return out or "0"


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class FakePost:
    """One post (tweet, submission/comment, status, skeet, feed entry) in the fake."""

    network: str
    handle: str
    native_id: str
    sort_key: int
    text: str
    created_at: datetime
    # "post"; "comment" on Reddit; "repost" (retweet, boost, repost); "quote" (X quote tweet)
    kind: str = "post"
    visibility: str = "public"  # Mastodon: public, unlisted, private, direct
    title: str = ""
    edited_at: datetime | None = None
    deleted: str = ""  # "", "deleted" or "removed" (Reddit keeps a tombstone)
    superseded: bool = False  # X: an older version of an edited tweet
    edit_history: list[str] = field(default_factory=list)


@dataclass
class FakeAccount:
    """One account; ``native_id`` is the user id / DID the real API would return."""

    network: str
    handle: str
    native_id: str
    status: str = "active"
    posts: list[FakePost] = field(default_factory=list)
    keys: list[int] = field(default_factory=list)  # sort keys of ``posts``, for bisect
    version: int = 0  # bumped on every change: the feed's ETag
    changed_at: datetime = START


@dataclass
class _Failure:
    network: str
    status: int
    times: int
    handle: str | None
    reset_at: datetime | None
    retry_after: int | str | None
    body: bytes | None = None
    content_type: str = "application/json; charset=utf-8"
    method: str | None = None


class FakeSocialAPI:
    """The fake server and its programmable population. See the module docstring."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.RLock()
        self._accounts: dict[tuple[str, str], FakeAccount] = {}
        self._by_native: dict[tuple[str, str], FakeAccount] = {}
        self._posts: dict[tuple[str, str], FakePost] = {}
        self._serial: Counter[str] = Counter()
        self._failures: list[_Failure] = []
        self._counts: Counter[tuple[str, str]] = Counter()
        self.tokens: dict[str, str] = {}  # network -> credential it insists on (see require_token)
        self._reddit_tokens: set[str] = set()
        self.user_agents: dict[str, str] = {}  # Reddit: the User-Agent of its last request
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.api = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    # -- life cycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeSocialAPI:
        if self._thread is None:
            # A short poll interval keeps stop() quick (it waits for the loop to notice).
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.02},
                name="fake-social-api",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeSocialAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- population ---------------------------------------------------------------------------
    def add_account(
        self, network: str, handle: str, *, status: str = "active", native_id: str | None = None
    ) -> FakeAccount:
        """Create an account (idempotent on network + handle)."""
        if network not in NETWORKS:
            raise ValueError(f"unknown network {network!r}; one of {NETWORKS}")
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; one of {STATUSES}")
        with self._lock:
            key = (network, handle.lower())
            if key in self._accounts:
                return self._accounts[key]
            self._serial[network + ":account"] += 1
            n = self._serial[network + ":account"]
            nid = (
                native_id
                or {
                    "x": str(10_000 + n),
                    "reddit": "t2_" + _base36(_REDDIT_ID_BASE + n),
                    "mastodon": str(100_000 + n),
                    "bluesky": f"did:plc:fake{n:020d}",
                    "rss": handle,
                }[network]
            )
            account = FakeAccount(network, handle, nid, status)
            self._accounts[key] = account
            self._by_native[(network, nid)] = account
            return account

    def account(self, network: str, handle: str) -> FakeAccount:
        with self._lock:
            return self._accounts[(network, handle.lower())]

    def set_status(self, network: str, handle: str, status: str) -> None:
        """Make an account protected, suspended, deactivated or active again."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; one of {STATUSES}")
        with self._lock:
            self.account(network, handle).status = status

    def remove_account(self, network: str, handle: str) -> None:
        """The account no longer exists: lookups answer "not found"."""
        with self._lock:
            account = self._accounts.pop((network, handle.lower()))
            self._by_native.pop((network, account.native_id), None)

    def add_post(
        self,
        network: str,
        handle: str,
        text: str,
        *,
        kind: str = "post",
        created_at: datetime | None = None,
        visibility: str = "public",
        title: str = "",
    ) -> FakePost:
        """Publish a post for ``handle`` (the account is created if needed); returns it."""
        with self._lock:
            account = self.add_account(network, handle)
            self._serial[network] += 1
            n = self._serial[network]
            if network == "x":
                nid = str(_X_ID_BASE + n)
            elif network == "reddit":
                nid = ("t1_" if kind == "comment" else "t3_") + _base36(_REDDIT_ID_BASE + n)
            elif network == "mastodon":
                nid = str(_MASTODON_ID_BASE + n)
            elif network == "bluesky":
                nid = f"at://{account.native_id}/app.bsky.feed.post/{_tid(n)}"
            else:
                nid = f"{self.url}/feeds/{quote(handle)}/entries/{n}"
            post = FakePost(
                network,
                account.handle,
                nid,
                n,
                text,
                created_at or START + timedelta(minutes=n),
                kind=kind,
                visibility=visibility,
                title=title,
                edit_history=[nid],
            )
            account.posts.append(post)
            account.keys.append(n)
            self._posts[(network, nid)] = post
            self._touch(account)
            return post

    def post(self, network: str, native_id: str) -> FakePost:
        with self._lock:
            return self._posts[(network, native_id)]

    def edit_post(self, network: str, native_id: str, text: str) -> FakePost:
        """Edit a post; returns its current version (on X a new tweet id in the same group)."""
        with self._lock:
            old = self._posts[(network, native_id)]
            now = old.created_at + timedelta(seconds=30)
            if network != "x":
                old.text, old.edited_at = text, now
                self._touch(self.account(network, old.handle))
                return old
            new = self.add_post(network, old.handle, text, created_at=now)
            history = [*old.edit_history, new.native_id]
            for version_id in history:
                self._posts[(network, version_id)].edit_history = history
            old.superseded = True
            return new

    def delete_post(self, network: str, native_id: str, *, removed: bool = False) -> None:
        """Delete a post (``removed``: taken down by a moderator, Reddit's ``[removed]``)."""
        with self._lock:
            post = self._posts[(network, native_id)]
            post.deleted = "removed" if removed else "deleted"
            self._touch(self.account(network, post.handle))

    def _touch(self, account: FakeAccount) -> None:
        account.version += 1
        account.changed_at = max(account.changed_at, START) + timedelta(seconds=1)

    # -- failure modes and credentials ---------------------------------------------------------
    def fail(
        self,
        network: str,
        status: int,
        *,
        times: int = 1,
        handle: str | None = None,
        reset_at: datetime | None = None,
        retry_after: int | str | None = None,
    ) -> None:
        """Answer the next ``times`` requests for ``network`` (one account if ``handle``)
        with HTTP ``status``; a 429 carries the network's rate-limit headers for ``reset_at``
        (default: 15 minutes from now) or a ``Retry-After`` (any text, as servers send)."""
        with self._lock:
            self._failures.append(
                _Failure(network, status, times, handle and handle.lower(), reset_at, retry_after)
            )

    def answer(
        self,
        network: str,
        body: bytes | str,
        *,
        status: int = 200,
        times: int = 1,
        handle: str | None = None,
        content_type: str = "application/json; charset=utf-8",
        method: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests for ``network`` (one account if ``handle``; one
        XRPC method or path prefix if ``method``) with this raw body: for answers of an
        unexpected shape (an array, ``null``, HTML, deep nesting)."""
        data = body.encode() if isinstance(body, str) else body
        with self._lock:
            self._failures.append(
                _Failure(
                    network,
                    status,
                    times,
                    handle and handle.lower(),
                    None,
                    None,
                    data,
                    content_type,
                    method,
                )
            )

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    def require_token(self, network: str, token: str) -> None:
        """Insist on a credential: X/Mastodon bearer token, Reddit ``client_id:secret``."""
        with self._lock:
            self.tokens[network] = token

    def _take_failure(self, network: str, handle: str | None, route: str = "") -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.method is not None and failure.method not in route:
                    continue
                if failure.network == network and failure.handle in (None, handle):
                    failure.times -= 1
                    if failure.times <= 0:
                        self._failures.remove(failure)
                    return failure
        return None

    # -- request accounting ---------------------------------------------------------------------
    def requests_for(self, network: str, handle: str) -> int:
        """Requests the server answered for one account (lookups, pages, rechecks)."""
        with self._lock:
            return self._counts[(network, handle.lower())]

    def requests_total(self, network: str | None = None) -> int:
        with self._lock:
            return sum(c for (net, _), c in self._counts.items() if network in (None, net))

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()

    def _count(self, network: str, handle: str | None) -> None:
        with self._lock:
            self._counts[(network, (handle or "").lower())] += 1

    # -- queries used by the handler ------------------------------------------------------------
    def _find(self, network: str, name: str) -> FakeAccount | None:
        with self._lock:
            return self._accounts.get((network, name.lower())) or self._by_native.get(
                (network, name)
            )

    def _visible(
        self,
        account: FakeAccount,
        *,
        above: int | None = None,
        below: int | None = None,
        kinds: tuple[str, ...] = ("post", "comment", "repost"),
        newest_first: bool = True,
        limit: int = 100,
        private_ok: bool = False,
    ) -> tuple[list[FakePost], bool]:
        """Up to ``limit`` live posts with ``above < key < below``; and whether more exist."""
        with self._lock:
            lo = bisect.bisect_right(account.keys, above) if above is not None else 0
            hi = bisect.bisect_left(account.keys, below) if below is not None else len(account.keys)
            indexes = range(hi - 1, lo - 1, -1) if newest_first else range(lo, hi)
            out: list[FakePost] = []
            for i in indexes:
                post = account.posts[i]
                if post.deleted or post.superseded or post.kind not in kinds:
                    continue
                if post.visibility in ("private", "direct") and not private_ok:
                    continue
                if len(out) == limit:
                    return out, True
                out.append(post)
            return out, False


def _x_wire(typed: str) -> tuple[str, list[dict[str, Any]]]:
    """A tweet's text as X sends it: links replaced by t.co links, then ``& < >`` escaped;
    and the ``entities.urls`` for those links (start/end in the unescaped text)."""
    parts: list[str] = []
    urls: list[dict[str, Any]] = []
    at = 0
    length = 0
    for match in _X_URL.finditer(typed):
        parts.append(typed[at : match.start()])
        length += match.start() - at
        expanded = match.group(0)
        short = "https://t.co/" + hashlib.sha256(expanded.encode()).hexdigest()[:10]
        urls.append(
            {
                "start": length,
                "end": length + len(short),
                "url": short,
                "expanded_url": expanded,
                "display_url": expanded.split("://", 1)[1][:26],
            }
        )
        parts.append(short)
        length += len(short)
        at = match.end()
    parts.append(typed[at:])
    text = "".join(parts).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text, urls


# --------------------------------------------------------------------------------------------
# The HTTP side: one handler, routed by path prefix to one method per network.


class _Reply(Exception):
    """Raised inside a route to send a response at once."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections, as with real APIs
    server_version = "FakeSocialAPI/1.0"
    timeout = 30  # an idle keep-alive connection does not hold a thread forever
    # One write per response and no Nagle delay: small answers otherwise wait ~40 ms on
    # the client's delayed ACK, which would dominate a 10,000-account benchmark.
    wbufsize = -1
    disable_nagle_algorithm = True

    @property
    def api(self) -> FakeSocialAPI:
        return self.server.api  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests stay quiet; request counts are in FakeSocialAPI.requests_for

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        self._dispatch()

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        self.route = parts.path
        self.query = {k: v for k, v in parse_qs(parts.query).items()}
        try:
            if self.route.startswith("/2/"):
                self._x()
            elif self.route.startswith(("/api/v1/access_token", "/user/", "/api/info")):
                self._reddit()
            elif self.route.startswith("/api/v1/"):
                self._mastodon()
            elif self.route.startswith("/xrpc/"):
                self._bluesky()
            elif self.route.startswith("/feeds/"):
                self._rss()
            else:
                raise _Reply(404, {"error": "no such route"})
        except _Reply as reply:
            self._send(reply.status, reply.body, reply.headers)

    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        if isinstance(body, bytes | str):
            data = body.encode() if isinstance(body, str) else body
            ctype = headers.pop("Content-Type", "text/plain; charset=utf-8")
        else:
            data = json.dumps(body).encode()
            ctype = "application/json; charset=utf-8"
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", ctype)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(0 if status == 304 else len(data)))
        if self.close_connection:
            # Say so (as real servers do) or the client reuses a socket we are closing.
            self.send_header("Connection", "close")
        self.end_headers()
        if status != 304:
            self.wfile.write(data)

    def q(self, key: str, default: str = "") -> str:
        return self.query.get(key, [default])[0]

    def _int(self, key: str, default: int, cap: int) -> int:
        try:
            return max(1, min(cap, int(self.q(key, str(default)))))
        except ValueError:
            raise _Reply(400, {"error": f"bad {key}"}) from None

    def _bearer(self) -> str:
        auth = self.headers.get("Authorization", "")
        return auth.split(" ", 1)[1].strip() if " " in auth else ""

    def _gate(self, network: str, handle: str | None, error: dict[str, Any]) -> None:
        """Count the request, then apply a programmed failure if one is due."""
        self.api._count(network, handle)
        failure = self.api._take_failure(network, handle and handle.lower(), self.route)
        if failure is None:
            return
        if failure.body is not None:
            raise _Reply(failure.status, failure.body, {"Content-Type": failure.content_type})
        headers: dict[str, str] = {}
        if failure.status == 429:
            reset = failure.reset_at or datetime.now(UTC) + timedelta(minutes=15)
            epoch = str(int(reset.timestamp()))
            seconds = str(max(1, int((reset - datetime.now(UTC)).total_seconds())))
            headers = {
                "x": {
                    "x-rate-limit-limit": "1500",
                    "x-rate-limit-remaining": "0",
                    "x-rate-limit-reset": epoch,
                },
                "reddit": {
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-used": "1000",
                    "x-ratelimit-reset": seconds,
                },
                "mastodon": {
                    "X-RateLimit-Limit": "300",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                },
                "bluesky": {
                    "ratelimit-limit": "3000",
                    "ratelimit-remaining": "0",
                    "ratelimit-reset": epoch,
                    "ratelimit-policy": "3000;w=300",
                },
                "rss": {},
            }[network]
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
        body = dict(error, status=failure.status) if network == "x" else error
        raise _Reply(failure.status, body if network != "rss" else "failure", headers)

    # -- X API v2 -----------------------------------------------------------------------------
    def _x_user(self, account: FakeAccount) -> dict[str, Any]:
        return {
            "id": account.native_id,
            "name": account.handle,
            "username": account.handle,
            "protected": account.status == "protected",
        }

    def _x_tweet(self, post: FakePost) -> dict[str, Any]:
        account = self.api.account("x", post.handle)
        fields = set(self.q("tweet.fields").split(","))
        typed = post.text
        if post.kind == "quote":
            typed += f" https://twitter.com/someone/status/{_X_ID_BASE}"
        cut = typed[: _X_MAX_CHARS - 1] + "…" if len(typed) > _X_MAX_CHARS else typed
        text, urls = _x_wire(cut)
        tweet: dict[str, Any] = {
            "id": post.native_id,
            "text": text,
            "created_at": _iso(post.created_at),
            "author_id": account.native_id,
            "edit_history_tweet_ids": list(post.edit_history),
        }
        if urls and "entities" in fields:
            tweet["entities"] = {"urls": urls}
        if len(typed) > _X_MAX_CHARS and "note_tweet" in fields:
            note_text, note_urls = _x_wire(typed)
            tweet["note_tweet"] = {"text": note_text, "entities": {"urls": note_urls}}
        if post.kind == "repost":
            tweet["referenced_tweets"] = [{"type": "retweeted", "id": str(_X_ID_BASE)}]
        elif post.kind == "quote":
            tweet["referenced_tweets"] = [{"type": "quoted", "id": str(_X_ID_BASE)}]
        return tweet

    def _x_problem(self, account: FakeAccount | None, value: str, param: str) -> dict[str, Any]:
        base = {"value": value, "resource_type": "user", "parameter": param, "resource_id": value}
        if account is None:
            return dict(
                base,
                title="Not Found Error",
                detail=f"Could not find user with {param}: [{value}].",
                type="https://api.twitter.com/2/problems/resource-not-found",
            )
        if account.status in ("suspended", "deactivated"):
            return dict(
                base,
                title="Forbidden",
                detail=f"User has been suspended: [{value}].",
                type="https://api.twitter.com/2/problems/resource-not-found",
            )
        return dict(
            base,
            title="Authorization Error",
            detail=f"Sorry, you are not authorized to see the user with id: [{value}].",
            type="https://api.twitter.com/2/problems/not-authorized-for-resource",
        )

    def _x(self) -> None:
        segments = self.route.strip("/").split("/")
        handle: str | None = None
        account: FakeAccount | None = None
        if segments[1] == "users" and len(segments) >= 3:
            name = segments[-1] if segments[2] == "by" else segments[2]
            account = self.api._find("x", name)
            handle = account.handle if account else name
        elif segments[1] == "tweets":
            ids = self.q("ids").split(",")
            owner = self.api._posts.get(("x", ids[0]))
            handle = owner.handle if owner else None
        self._gate(
            "x",
            handle,
            {"title": "Service Unavailable", "detail": "failure", "type": "about:blank"},
        )
        token = self.api.tokens.get("x")
        if token is not None and self._bearer() != token:
            raise _Reply(
                401,
                {
                    "title": "Unauthorized",
                    "type": "about:blank",
                    "status": 401,
                    "detail": "Unauthorized",
                },
            )
        if segments[1:3] == ["users", "by"]:
            if account is None or account.status in ("suspended", "deactivated"):
                raise _Reply(200, {"errors": [self._x_problem(account, segments[-1], "username")]})
            raise _Reply(200, {"data": self._x_user(account)})
        if segments[1] == "users" and len(segments) == 4 and segments[3] == "tweets":
            if account is None or account.status != "active":
                raise _Reply(200, {"errors": [self._x_problem(account, segments[2], "id")]})
            self._x_timeline(account)
        if segments[1] == "tweets" and len(segments) == 2:
            data, errors = [], []
            for tid in self.q("ids").split(","):
                post = self.api._posts.get(("x", tid))
                if post is None or post.deleted:
                    errors.append(
                        {
                            "value": tid,
                            "title": "Not Found Error",
                            "detail": f"Could not find tweet with ids: [{tid}].",
                            "resource_type": "tweet",
                            "parameter": "ids",
                            "resource_id": tid,
                            "type": "https://api.twitter.com/2/problems/resource-not-found",
                        }
                    )
                else:
                    data.append(self._x_tweet(post))
            body: dict[str, Any] = {"data": data} if data else {}
            if errors:
                body["errors"] = errors
            raise _Reply(200, body)
        raise _Reply(
            404,
            {
                "title": "Not Found Error",
                "type": "about:blank",
                "status": 404,
                "detail": "no such route",
            },
        )

    def _x_timeline(self, account: FakeAccount) -> None:
        since = self.q("since_id")
        token = self.q("pagination_token")
        kinds: tuple[str, ...] = ("post", "quote")
        if "retweets" not in self.q("exclude"):
            kinds += ("repost",)
        posts, more = self.api._visible(
            account,
            above=int(since) - _X_ID_BASE if since else None,
            below=int(token.removeprefix("p")) if token else None,
            kinds=kinds,
            limit=self._int("max_results", 10, 100),
        )
        meta: dict[str, Any] = {"result_count": len(posts)}
        if posts:
            meta.update(newest_id=posts[0].native_id, oldest_id=posts[-1].native_id)
            if more:
                meta["next_token"] = f"p{posts[-1].sort_key}"
        body: dict[str, Any] = {"meta": meta}
        if posts:
            body["data"] = [self._x_tweet(p) for p in posts]
        raise _Reply(200, body)

    # -- Reddit -------------------------------------------------------------------------------
    def _reddit_thing(self, post: FakePost) -> dict[str, Any]:
        short = post.native_id[3:]
        marker = f"[{post.deleted}]" if post.deleted else ""
        data: dict[str, Any] = {
            "id": short,
            "name": post.native_id,
            "author": "[deleted]" if post.deleted else post.handle,
            "created_utc": post.created_at.timestamp(),
            "edited": post.edited_at.timestamp() if post.edited_at else False,
            "subreddit": "test",
            "permalink": f"/r/test/comments/{short}/",
        }
        if post.kind == "comment":
            data.update(body=marker or post.text, link_id="t3_" + short, link_title="A thread")
        else:
            data.update(
                title=marker or post.title or post.text[:40],
                selftext=marker or post.text,
                is_self=True,
                url=f"https://www.reddit.com/r/test/comments/{short}/",
            )
        return {"kind": post.native_id[:2], "data": data}

    def _reddit(self) -> None:
        self.api.user_agents["reddit"] = self.headers.get("User-Agent", "")
        if self.route == "/api/v1/access_token":
            self._gate("reddit", None, {"error": 500})
            expected = self.api.tokens.get("reddit")
            auth = self.headers.get("Authorization", "")
            given = base64.b64decode(auth[6:]).decode() if auth.startswith("Basic ") else ""
            if expected is not None and given != expected:
                raise _Reply(401, {"message": "Unauthorized", "error": 401})
            token = f"fake-token-{len(self.api._reddit_tokens)}"
            self.api._reddit_tokens.add(token)
            raise _Reply(
                200,
                {"access_token": token, "token_type": "bearer", "expires_in": 86400, "scope": "*"},
            )
        handle = None
        segments = self.route.strip("/").split("/")
        if segments[0] == "user":
            handle = segments[1]
        elif self.route.startswith("/api/info"):
            first = self.api._posts.get(("reddit", self.q("id").split(",")[0]))
            handle = first.handle if first else None
        self._gate("reddit", handle, {"message": "Service Unavailable", "error": 503})
        if "reddit" in self.api.tokens and self._bearer() not in self.api._reddit_tokens:
            raise _Reply(401, {"message": "Unauthorized", "error": 401})
        if self.route.startswith("/api/info"):
            things = [
                self._reddit_thing(p)
                for i in self.q("id").split(",")
                if (p := self.api._posts.get(("reddit", i))) is not None
            ]
            listing = {"after": None, "before": None, "dist": len(things), "children": things}
            raise _Reply(200, {"kind": "Listing", "data": listing})
        account = self.api._find("reddit", handle or "")
        if account is None:
            raise _Reply(404, {"message": "Not Found", "error": 404})
        if segments[2:3] == ["about"]:
            data: dict[str, Any] = {"name": account.handle}
            if account.status == "suspended":
                data["is_suspended"] = True
            else:
                data.update(
                    id=account.native_id[3:],
                    created_utc=START.timestamp(),
                    link_karma=1,
                    comment_karma=1,
                )
            raise _Reply(200, {"kind": "t2", "data": data})
        if account.status != "active":
            raise _Reply(403, {"message": "Forbidden", "error": 403})
        listing_name = segments[2] if len(segments) > 2 else ""
        kind = {"submitted": "post", "comments": "comment"}.get(listing_name)
        if kind is None:
            raise _Reply(404, {"message": "Not Found", "error": 404})
        after = self.q("after")
        after_post = self.api._posts.get(("reddit", after)) if after else None
        posts, more = self.api._visible(
            account,
            below=after_post.sort_key if after_post else None,
            kinds=(kind,),
            limit=self._int("limit", 25, 100),
        )
        children = [self._reddit_thing(p) for p in posts]
        raise _Reply(
            200,
            {
                "kind": "Listing",
                "data": {
                    "after": posts[-1].native_id if more else None,
                    "before": None,
                    "dist": len(children),
                    "children": children,
                },
            },
        )

    # -- Mastodon -----------------------------------------------------------------------------
    def _masto_account(self, account: FakeAccount) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": account.native_id,
            "username": account.handle.split("@")[0],
            "acct": account.handle,
            "display_name": account.handle,
            "locked": account.status == "protected",
            "bot": False,
            "created_at": _iso(START),
            "note": "",
            "url": f"{self.api.url}/@{account.handle}",
            "followers_count": 0,
            "following_count": 0,
            "statuses_count": len(account.posts),
            "emojis": [],
            "fields": [],
        }
        if account.status == "suspended":
            data["suspended"] = True
        return data

    def _masto_status(self, post: FakePost) -> dict[str, Any]:
        account = self.api.account("mastodon", post.handle)
        status: dict[str, Any] = {
            "id": post.native_id,
            "created_at": _iso(post.created_at),
            "edited_at": _iso(post.edited_at) if post.edited_at else None,
            "visibility": post.visibility,
            "sensitive": False,
            "spoiler_text": "",
            "uri": f"{self.api.url}/users/{post.handle}/statuses/{post.native_id}",
            "url": f"{self.api.url}/@{post.handle}/{post.native_id}",
            "content": "<p>" + escape(post.text).replace("\n", "<br>") + "</p>",
            "account": self._masto_account(account),
            "reblog": None,
            "media_attachments": [],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "language": "en",
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
        }
        if post.kind == "repost":
            status["content"] = ""
            status["reblog"] = dict(
                status,
                id=str(_MASTODON_ID_BASE),
                reblog=None,
                content="<p>someone else's words</p>",
            )
        return status

    def _mastodon(self) -> None:
        segments = self.route.strip("/").split("/")
        if segments[2:] == ["instance"]:
            raise _Reply(200, {"uri": "fake.local", "title": "fake", "version": "4.3.0"})
        account: FakeAccount | None = None
        post: FakePost | None = None
        if segments[2:4] == ["accounts", "lookup"]:
            account = self.api._find("mastodon", self.q("acct").lstrip("@"))
        elif segments[2] == "accounts" and len(segments) >= 4:
            account = self.api._find("mastodon", segments[3])
        elif segments[2] == "statuses" and len(segments) == 4:
            post = self.api._posts.get(("mastodon", segments[3]))
        handle = account.handle if account else post.handle if post else None
        self._gate("mastodon", handle, {"error": "failure"})
        token = self.api.tokens.get("mastodon")
        if token is not None and self._bearer() != token:
            raise _Reply(401, {"error": "The access token is invalid"})
        if segments[2] == "statuses":
            if post is None or post.deleted:
                raise _Reply(404, {"error": "Record not found"})
            if post.visibility in ("private", "direct") and not self._bearer():
                raise _Reply(404, {"error": "Record not found"})
            raise _Reply(200, self._masto_status(post))
        if account is None:
            raise _Reply(404, {"error": "Record not found"})
        if len(segments) == 4 or segments[3] == "lookup":
            raise _Reply(200, self._masto_account(account))
        if segments[4:] != ["statuses"]:
            raise _Reply(404, {"error": "no such route"})
        if account.status == "suspended":
            raise _Reply(200, [])  # Mastodon answers an unavailable account with no statuses
        self._masto_statuses(account)

    def _masto_statuses(self, account: FakeAccount) -> None:
        def key(name: str) -> int | None:
            value = self.q(name)
            return int(value) - _MASTODON_ID_BASE if value else None

        limit = self._int("limit", 20, 40)
        kinds = ("post",) if self.q("exclude_reblogs") in ("true", "1") else ("post", "repost")
        min_id, since_id = key("min_id"), key("since_id")
        private_ok = bool(self._bearer())
        if min_id is not None:
            # min_id pages forward: the statuses just after min_id, still newest first.
            posts, _ = self.api._visible(
                account,
                above=min_id,
                below=key("max_id"),
                kinds=kinds,
                newest_first=False,
                limit=limit,
                private_ok=private_ok,
            )
            posts.reverse()
        else:
            posts, _ = self.api._visible(
                account,
                above=since_id,
                below=key("max_id"),
                kinds=kinds,
                limit=limit,
                private_ok=private_ok,
            )
        headers: dict[str, str] = {}
        if posts:
            base = f"{self.api.url}/api/v1/accounts/{account.native_id}/statuses?limit={limit}"
            headers["Link"] = (
                f'<{base}&max_id={posts[-1].native_id}>; rel="next", '
                f'<{base}&min_id={posts[0].native_id}>; rel="prev"'
            )
        raise _Reply(200, [self._masto_status(p) for p in posts], headers)

    # -- Bluesky ------------------------------------------------------------------------------
    def _bsky_profile(self, account: FakeAccount) -> dict[str, Any]:
        return {
            "did": account.native_id,
            "handle": account.handle,
            "displayName": account.handle,
            "postsCount": len(account.posts),
            "indexedAt": _iso(START),
            "labels": [],
        }

    def _bsky_post(self, post: FakePost, account: FakeAccount) -> dict[str, Any]:
        return {
            "uri": post.native_id,
            "cid": f"bafyfake{post.sort_key}",
            "author": {"did": account.native_id, "handle": account.handle, "labels": []},
            "record": {
                "$type": "app.bsky.feed.post",
                "text": post.text,
                "createdAt": _iso(post.created_at),
                "langs": ["en"],
            },
            "indexedAt": _iso(post.created_at),
            "replyCount": 0,
            "repostCount": 0,
            "likeCount": 0,
            "labels": [],
        }

    def _bsky_actor(self, actor: str) -> FakeAccount:
        account = self.api._find("bluesky", actor)
        if account is None:
            raise _Reply(400, {"error": "InvalidRequest", "message": "Profile not found"})
        if account.status == "suspended":
            raise _Reply(400, {"error": "AccountTakedown", "message": "Account has been suspended"})
        if account.status == "deactivated":
            raise _Reply(400, {"error": "AccountDeactivated", "message": "Account is deactivated"})
        return account

    def _bluesky(self) -> None:
        method = self.route.removeprefix("/xrpc/")
        actor = self.q("actor")
        if method in ("app.bsky.feed.getPosts", "app.bsky.feed.getPostThread"):
            uris = self.query.get("uris" if method.endswith("getPosts") else "uri", [])
            first = self.api._posts.get(("bluesky", uris[0])) if uris else None
            actor = first.handle if first else ""
        found = self.api._find("bluesky", actor) if actor else None
        self._gate(
            "bluesky",
            found.handle if found else actor or None,
            {"error": "InternalServerError", "message": "failure"},
        )
        if method == "app.bsky.actor.getProfile":
            raise _Reply(200, self._bsky_profile(self._bsky_actor(actor)))
        if method == "app.bsky.feed.getAuthorFeed":
            account = self._bsky_actor(actor)
            cursor = self.q("cursor")
            posts, more = self.api._visible(
                account, below=int(cursor) if cursor else None, limit=self._int("limit", 50, 100)
            )
            feed = []
            for post in posts:
                item: dict[str, Any] = {"post": self._bsky_post(post, account)}
                if post.kind == "repost":
                    other = FakeAccount("bluesky", "someone.else", "did:plc:someoneelse")
                    item = {
                        "post": self._bsky_post(post, other),
                        "reason": {
                            "$type": "app.bsky.feed.defs#reasonRepost",
                            "by": {"did": account.native_id, "handle": account.handle},
                            "indexedAt": _iso(post.created_at),
                        },
                    }
                feed.append(item)
            body: dict[str, Any] = {"feed": feed}
            if more:
                body["cursor"] = str(posts[-1].sort_key)
            raise _Reply(200, body)
        if method == "app.bsky.feed.getPosts":
            views = []
            for uri in self.query.get("uris", []):
                found_post = self.api._posts.get(("bluesky", uri))
                if found_post is not None and not found_post.deleted:
                    owner = self.api.account("bluesky", found_post.handle)
                    views.append(self._bsky_post(found_post, owner))
            raise _Reply(200, {"posts": views})
        if method == "app.bsky.feed.getPostThread":
            uri = self.q("uri")
            found_post = self.api._posts.get(("bluesky", uri))
            if found_post is None or found_post.deleted:
                raise _Reply(400, {"error": "NotFound", "message": f"Post not found: {uri}"})
            owner = self.api.account("bluesky", found_post.handle)
            thread = {
                "$type": "app.bsky.feed.defs#threadViewPost",
                "post": self._bsky_post(found_post, owner),
                "replies": [],
            }
            raise _Reply(200, {"thread": thread})
        raise _Reply(501, {"error": "MethodNotImplemented", "message": method})

    # -- RSS / Atom ---------------------------------------------------------------------------
    def _rss(self) -> None:
        rest = self.route.removeprefix("/feeds/")
        name, _, entry = rest.partition("/entries/")
        atom = name.endswith(".atom")
        handle = name.removesuffix(".atom").removesuffix(".xml")
        account = self.api._find("rss", handle)
        self._gate("rss", account.handle if account else handle, {})
        if account is None:
            raise _Reply(404, "no such feed")
        if account.status in ("protected",):
            raise _Reply(403, "forbidden")
        if account.status != "active":
            raise _Reply(410, "gone")
        if entry:
            post = self.api._posts.get(("rss", f"{self.api.url}{self.route}"))
            if post is None or post.deleted:
                raise _Reply(404, "no such entry")
            raise _Reply(
                200,
                f"<html><body>{escape(post.text)}</body></html>",
                {"Content-Type": "text/html; charset=utf-8"},
            )
        etag = f'"v{account.version}"'
        modified = format_datetime(account.changed_at, usegmt=True)
        headers = {"ETag": etag, "Last-Modified": modified}
        if self.headers.get("If-None-Match") == etag or (
            not self.headers.get("If-None-Match")
            and self.headers.get("If-Modified-Since") == modified
        ):
            raise _Reply(304, b"", headers)
        posts, _ = self.api._visible(account, limit=20)
        headers["Content-Type"] = (
            "application/atom+xml; charset=utf-8" if atom else "application/rss+xml; charset=utf-8"
        )
        raise _Reply(
            200, self._atom(account, posts) if atom else self._rss2(account, posts), headers
        )

    def _rss2(self, account: FakeAccount, posts: list[FakePost]) -> str:
        items = "".join(
            f"<item><title>{escape(p.title or p.text[:40])}</title>"
            f"<link>{escape(p.native_id)}</link>"
            f'<guid isPermaLink="true">{escape(p.native_id)}</guid>'
            f"<pubDate>{format_datetime(p.created_at, usegmt=True)}</pubDate>"
            f"<description>{escape(p.text)}</description></item>"
            for p in posts
        )
        return (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{escape(account.handle)}</title><link>{self.api.url}</link>"
            f"<description>fake blog</description>{items}</channel></rss>"
        )

    def _atom(self, account: FakeAccount, posts: list[FakePost]) -> str:
        entries = "".join(
            f"<entry><id>{escape(p.native_id)}</id><title>{escape(p.title or p.text[:40])}</title>"
            f'<link href="{escape(p.native_id)}"/><published>{_iso(p.created_at)}</published>'
            f"<updated>{_iso(p.edited_at or p.created_at)}</updated>"
            f'<content type="html">{escape("<p>" + escape(p.text) + "</p>")}</content></entry>'
            for p in posts
        )
        return (
            f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<id>{self.api.url}/feeds/{escape(account.handle)}</id>"
            f"<title>{escape(account.handle)}</title><updated>{_iso(account.changed_at)}</updated>"
            f"{entries}</feed>"
        )
