"""Mastodon: everything the author wrote reaches the classifiers, nothing others wrote
(issue 15, item 7).

The statuses are synthetic, shaped after Mastodon's documented Status entity (``content``
HTML with shortened link text, ``media_attachments[].description``, ``poll.options[].title``,
``spoiler_text``, the 4.4 quote post with its ``<p class="quote-inline">RE: ...</p>``
fallback and a ``quote.quoted_status``, a ``card``); no recording of Mastodon exists in
../shared. They are served raw by the local fake server and read through Mastodon.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from connector_support import clock

from connectors import mastodon
from connectors.base import AccountRef
from testing.fake_api import FakeSocialAPI

HANDLE = "alice@example.social"


def _status(sid: str, content: str, **extra: Any) -> dict[str, Any]:
    status: dict[str, Any] = {
        "id": sid,
        "created_at": "2025-01-07T10:00:00.000Z",
        "edited_at": None,
        "visibility": "public",
        "sensitive": False,
        "spoiler_text": "",
        "uri": f"https://example.social/users/alice/statuses/{sid}",
        "url": f"https://example.social/@alice/{sid}",
        "content": content,
        "account": {"id": "100001", "username": "alice", "acct": "alice"},
        "reblog": None,
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "poll": None,
        "card": None,
    }
    status.update(extra)
    return status


QUOTED = _status("9", "<p>bob's own words</p>", account={"id": "7", "acct": "bob@else.where"})
STATUSES = [
    _status(
        "110000000000000005",
        '<p>Which launch date do we announce?</p>',
        poll={"id": "34", "expired": False, "multiple": False, "votes_count": 0,
              "options": [{"title": "March 3 (with Contoso)", "votes_count": 0},
                          {"title": "April 14", "votes_count": None}]},
    ),
    _status(
        "110000000000000004",
        "<p>The new lab</p>",
        media_attachments=[
            {"id": "1", "type": "image", "url": "https://files.example/1.png",
             "description": "Rack labels showing the customer names"},
            {"id": "2", "type": "video", "url": "https://files.example/2.mp4",
             "description": None},
        ],
    ),
    _status(
        "110000000000000003",
        '<p>So true</p><p class="quote-inline">RE: <a href="https://else.where/@bob/9">'
        '<span class="invisible">https://</span><span class="ellipsis">else.where/@bob/9'
        "</span></a></p>",
        quote={"state": "accepted", "quoted_status": QUOTED},
    ),
    _status(
        "110000000000000002",
        '<p>Slides: <a href="https://docs.example.com/s/q3-deck" rel="nofollow noopener">'
        'the deck</a> thanks <span class="h-card"><a href="https://else.where/@bob" '
        'class="u-url mention">@<span>bob</span></a></span> '
        '<a href="https://example.social/tags/launch" class="mention hashtag" rel="tag">'
        "#<span>launch</span></a></p>",
        card={"url": "https://docs.example.com/s/q3-deck", "title": "the page's own title",
              "description": "the page's own summary"},
    ),
    _status(
        "110000000000000001",
        '<p><a href="https://example.com/a/very/long/path" rel="nofollow noopener" '
        'target="_blank"><span class="invisible">https://</span><span class="ellipsis">'
        'example.com/a/very/lo</span><span class="invisible">ng/path</span></a></p>',
        spoiler_text="work stuff",
    ),
]


@pytest.fixture
def texts(fake_api: FakeSocialAPI) -> Iterator[dict[str, str]]:
    fake_api.add_account("mastodon", HANDLE)
    account_id = fake_api.account("mastodon", HANDLE).native_id
    fake_api.answer("mastodon", json.dumps(STATUSES), method=f"/accounts/{account_id}/statuses")
    connector = mastodon.build({"api_base_url": fake_api.url}, clock=clock)
    try:
        result = connector.fetch(AccountRef("mastodon", HANDLE, account_id), None)
    finally:
        connector.close()
    yield {p.native_id[-1]: p.text for p in result.new}


def test_poll_options_and_media_descriptions_are_in_the_text(texts: dict[str, str]) -> None:
    assert texts["5"] == (
        "Which launch date do we announce?\n\n"
        "Poll option: March 3 (with Contoso)\nPoll option: April 14"
    )
    assert texts["4"] == "The new lab\n\nImage description: Rack labels showing the customer names"


def test_the_quote_fallback_and_the_quoted_post_stay_out(texts: dict[str, str]) -> None:
    assert texts["3"] == "So true"
    assert "bob's own words" not in "\n".join(texts.values())


def test_a_link_whose_text_hides_its_address_is_added(texts: dict[str, str]) -> None:
    assert texts["2"] == "Slides: the deck thanks @bob #launch\n\nhttps://docs.example.com/s/q3-deck"
    assert "the page's own" not in "\n".join(texts.values())  # a card is the page's words


def test_a_shortened_link_is_read_whole_and_not_repeated(texts: dict[str, str]) -> None:
    assert texts["1"] == "work stuff\n\nhttps://example.com/a/very/long/path"
