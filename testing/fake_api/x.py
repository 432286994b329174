"""X API v2: users, timelines, tweets by id."""

from __future__ import annotations

import json
from typing import Any

from testing.fake_api.common import (
    _X_ID_BASE,
    _X_MAX_CHARS,
    FakeAccount,
    FakePost,
    _iso,
    _x_wire,
)
from testing.fake_api.routes import RouteBase, _Reply

# Error bodies X sends for access-tier problems, to hand to ``FakeSocialAPI.answer`` (synthetic:
# written from X's documented problem types, https://api.twitter.com/2/problems/..., and the
# bodies quoted in public bug reports; ids are made up). The Free tier asking for a timeline:
CLIENT_NOT_ENROLLED: dict[str, Any] = {
    "client_id": "12345678",
    "detail": (
        "You currently have access to a subset of X API V2 endpoints and limited v1.1 "
        "endpoints (e.g. media post, oauth) only. If you need access to this endpoint, you "
        "may need a different access level. You can learn more here: "
        "https://developer.x.com/en/portal/product"
    ),
    "registration_url": "https://developer.x.com/en/portal/product",
    "title": "Client Forbidden",
    "required_enrollment": "Appropriate Level of API Access",
    "reason": "client-not-enrolled",
    "type": "https://api.twitter.com/2/problems/client-forbidden",
}
# HTTP 429 once the project's monthly Post cap is used up (the x-rate-limit-* headers then
# still show a 15-minute window with requests left; the cap's reset is not in the answer):
USAGE_CAPPED: dict[str, Any] = {
    "account_id": 1234567890,
    "product_name": "standard-basic",
    "title": "UsageCapExceeded",
    "period": "Monthly",
    "scope": "Product",
    "detail": "Usage cap exceeded: Monthly product cap",
    "type": "https://api.twitter.com/2/problems/usage-capped",
}


def usage_answer(cap_reset_day: int, project_usage: int = 10000, cap: int = 10000) -> str:
    """A ``GET /2/usage/tweets`` body (synthetic, in the documented shape): the day of the
    month the project's Post cap resets on, and how much of it is used."""
    return json.dumps(
        {
            "data": {
                "cap_reset_day": cap_reset_day,
                "project_cap": str(cap),
                "project_id": "1234567890123456789",
                "project_usage": str(project_usage),
            }
        }
    )


class XRoutes(RouteBase):
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
        if segments[1:3] == ["usage", "tweets"]:
            # The project's Post usage; programme another answer with ``answer(...,
            # method="/2/usage/tweets")`` (``usage_answer``).
            raise _Reply(200, json.loads(usage_answer(1, project_usage=0)))
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

