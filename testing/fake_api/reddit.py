"""Reddit: the OAuth token, a user's about/submitted/comments, /api/info."""

from __future__ import annotations

import base64
from typing import Any

from testing.fake_api.common import (
    START,
    FakePost,
)
from testing.fake_api.routes import RouteBase, _Reply


class RedditRoutes(RouteBase):
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

