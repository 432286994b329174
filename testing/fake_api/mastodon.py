"""Mastodon: account lookup, statuses, instance."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from testing.fake_api.common import (
    _MASTODON_ID_BASE,
    START,
    FakeAccount,
    FakePost,
    _iso,
)
from testing.fake_api.routes import RouteBase, _Reply


class MastodonRoutes(RouteBase):
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

