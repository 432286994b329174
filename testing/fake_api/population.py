"""The fake server and its programmable population (accounts, posts, failures, counts)."""

from __future__ import annotations

import bisect
import threading
from collections import Counter
from datetime import datetime, timedelta
from http.server import ThreadingHTTPServer
from urllib.parse import quote

from testing.fake_api.common import (
    _MASTODON_ID_BASE,
    _REDDIT_ID_BASE,
    _X_ID_BASE,
    NETWORKS,
    START,
    STATUSES,
    FakeAccount,
    FakePost,
    _base36,
    _Failure,
    _tid,
)
from testing.fake_api.server import Handler


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
        self._server = ThreadingHTTPServer((host, port), Handler)
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


