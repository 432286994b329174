"""Bluesky AppView: profile, author feed, posts, post thread."""

from __future__ import annotations

from typing import Any

from testing.fake_api.common import (
    START,
    FakeAccount,
    FakePost,
    _iso,
)
from testing.fake_api.routes import RouteBase, _Reply


class BlueskyRoutes(RouteBase):
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

