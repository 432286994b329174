"""RSS 2.0 and Atom feeds, with ETag and Last-Modified, and entry pages."""

from __future__ import annotations

from email.utils import format_datetime
from xml.sax.saxutils import escape

from testing.fake_api.common import (
    FakeAccount,
    FakePost,
    _iso,
)
from testing.fake_api.routes import RouteBase, _Reply


class RssRoutes(RouteBase):
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
