"""The request handler: one route family per network, chosen by path."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from testing.fake_api.bluesky import BlueskyRoutes
from testing.fake_api.mastodon import MastodonRoutes
from testing.fake_api.reddit import RedditRoutes
from testing.fake_api.routes import _Reply
from testing.fake_api.rss import RssRoutes
from testing.fake_api.x import XRoutes


class Handler(XRoutes, RedditRoutes, MastodonRoutes, BlueskyRoutes, RssRoutes):
    """Routes a request to its network by path."""

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

