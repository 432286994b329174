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

from testing.fake_api.common import FakeAccount, FakePost
from testing.fake_api.population import FakeSocialAPI

__all__ = ["FakeAccount", "FakePost", "FakeSocialAPI"]
