"""A tweet of X's API as our post: which tweets are usable, and each one's id, text, time,
address and edit group (``group_id``: the first id of ``edit_history_tweet_ids``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import tweepy

from connectors._http import as_utc, usable_id
from connectors.base import AccountRef, FetchedPost
from connectors.x_text import _api_text

_TWITTER_EPOCH_MS = 1288834974657  # snowflake ids carry their creation time after this


def _snowflake_time(tweet_id: int) -> datetime:
    """Creation time encoded in a tweet id (used when ``created_at`` was not sent)."""
    return datetime.fromtimestamp(((tweet_id >> 22) + _TWITTER_EPOCH_MS) / 1000, UTC)


def _usable_tweets(data: Any) -> tuple[list[tweepy.Tweet], int]:
    """The tweets with a numeric, storable id, and how many others there were."""
    kept = [t for t in data if str(t.id).isdigit() and usable_id(str(t.id))]
    return kept, len(data) - len(kept)


def _to_post(tweet: tweepy.Tweet, account: AccountRef) -> FetchedPost:
    tweet_id = str(tweet.id)
    history = [str(i) for i in tweet.edit_history_tweet_ids or ()] or [tweet_id]
    created = as_utc(tweet.created_at) if tweet.created_at else _snowflake_time(int(tweet_id))
    name = account.handle.strip().lstrip("@")
    return FetchedPost(
        native_id=tweet_id,
        text=_api_text(tweet.data),
        created_at=created,
        url=f"https://x.com/{name}/status/{tweet_id}",
        # A later version of an edited tweet was created by the edit.
        edited_at=created if history[0] != tweet_id else None,
        group_id=history[0],
    )
