"""Bluesky: everything the author wrote reaches the classifiers, nothing others wrote
(issue 15, item 7).

The answers are synthetic, shaped after the AppView's getAuthorFeed output and the
``app.bsky.feed.post`` / ``app.bsky.richtext.facet`` / ``app.bsky.embed.*`` lexicons (no
recording of Bluesky exists in ../shared): a link facet whose shown text is shortened, an
image with alt text, a video with alt text, hidden ``tags``, a quote of someone else's
post (``embed.record``), a quote with an image (``recordWithMedia``) and a link card whose
title and description come from the linked page. Served by ``httpx.MockTransport``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from connector_support import clock

from connectors import bluesky
from connectors.base import AccountRef, FetchResult

DID = "did:plc:alice"
OTHER = "did:plc:bob"


def _post(rkey: str, record: dict[str, Any], embed_view: dict[str, Any] | None = None) -> dict:
    post: dict[str, Any] = {
        "uri": f"at://{DID}/app.bsky.feed.post/{rkey}",
        "cid": f"bafy{rkey}",
        "author": {"did": DID, "handle": "alice.bsky.social"},
        "record": {"$type": "app.bsky.feed.post", "createdAt": "2025-01-07T10:00:00.000Z",
                   **record},
        "indexedAt": "2025-01-07T10:00:01.000Z",
    }
    if embed_view is not None:
        post["embed"] = embed_view
    return {"post": post}


LINK_TEXT = "Read this: intranet.example.com/plans/q3-ro..."
LINK_START = len(b"Read this: ")
FEED = {
    "feed": [
        _post("3lbbbbbbbbbb5", {
            "text": LINK_TEXT,
            "facets": [{
                "index": {"byteStart": LINK_START, "byteEnd": len(LINK_TEXT.encode())},
                "features": [{"$type": "app.bsky.richtext.facet#link",
                              "uri": "https://intranet.example.com/plans/q3-roadmap.pdf"}],
            }, {
                "index": {"byteStart": 0, "byteEnd": 4},
                "features": [{"$type": "app.bsky.richtext.facet#mention", "did": OTHER}],
            }],
            "tags": ["projectfalcon"],
        }),
        _post("3lbbbbbbbbbb4", {
            "text": "Our new office",
            "embed": {"$type": "app.bsky.embed.images", "images": [
                {"alt": "Whiteboard with the Q3 launch date and customer names",
                 "image": {"$type": "blob", "mimeType": "image/jpeg", "size": 1}},
                {"alt": "", "image": {"$type": "blob", "mimeType": "image/jpeg", "size": 1}},
            ]},
        }),
        _post("3lbbbbbbbbbb3", {
            "text": "Look at this",
            "embed": {"$type": "app.bsky.embed.record",
                      "record": {"uri": f"at://{OTHER}/app.bsky.feed.post/3laaaaaaaaaa1",
                                 "cid": "bafyq"}},
        }, embed_view={
            "$type": "app.bsky.embed.record#view",
            "record": {"$type": "app.bsky.embed.record#viewRecord",
                       "uri": f"at://{OTHER}/app.bsky.feed.post/3laaaaaaaaaa1",
                       "author": {"did": OTHER, "handle": "bob.bsky.social"},
                       "value": {"text": "bob's own words"}},
        }),
        _post("3lbbbbbbbbbb2", {
            "text": "Quote with a picture",
            "embed": {"$type": "app.bsky.embed.recordWithMedia",
                      "record": {"$type": "app.bsky.embed.record",
                                 "record": {"uri": f"at://{OTHER}/app.bsky.feed.post/3la2",
                                            "cid": "bafyq2"}},
                      "media": {"$type": "app.bsky.embed.images", "images": [
                          {"alt": "Badge photo of the server room door",
                           "image": {"$type": "blob"}}]}},
        }),
        _post("3lbbbbbbbbbb1", {
            "text": "Demo day",
            "embed": {"$type": "app.bsky.embed.external", "external": {
                "uri": "https://docs.example.com/s/launch-deck",
                "title": "the page's own title", "description": "the page's own summary"}},
        }),
        _post("3lbbbbbbbbbb0", {
            "text": "",
            "embed": {"$type": "app.bsky.embed.video", "video": {"$type": "blob"},
                      "alt": "Screen recording of the admin console"},
        }),
    ],
}


def _fetch(answer: dict[str, Any]) -> FetchResult:
    body = json.dumps(answer).encode()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    http = httpx.Client(transport=transport, base_url="https://appview.example")
    connector = bluesky.BlueskyConnector(http, clock=clock)
    try:
        return connector.fetch(AccountRef("bluesky", "alice.bsky.social"), None)
    finally:
        connector.close()


def test_everything_the_author_wrote_is_in_the_text() -> None:
    texts = {p.native_id.rsplit("/", 1)[-1]: p.text for p in _fetch(FEED).new}
    assert texts["3lbbbbbbbbbb5"] == (
        f"{LINK_TEXT}\n\nhttps://intranet.example.com/plans/q3-roadmap.pdf\n#projectfalcon"
    )
    assert texts["3lbbbbbbbbbb4"] == (
        "Our new office\n\nImage description: "
        "Whiteboard with the Q3 launch date and customer names"
    )
    assert texts["3lbbbbbbbbbb2"] == (
        "Quote with a picture\n\nImage description: Badge photo of the server room door"
    )
    assert texts["3lbbbbbbbbbb1"] == "Demo day\n\nhttps://docs.example.com/s/launch-deck"
    assert texts["3lbbbbbbbbbb0"] == "Video description: Screen recording of the admin console"


def test_what_others_wrote_is_not() -> None:
    texts = {p.native_id.rsplit("/", 1)[-1]: p.text for p in _fetch(FEED).new}
    assert texts["3lbbbbbbbbbb3"] == "Look at this"  # the quoted post's words stay out
    everything = "\n".join(texts.values())
    assert "bob's own words" not in everything
    assert "the page's own" not in everything  # a link card is the linked page's words


def test_a_link_already_written_out_is_not_repeated() -> None:
    text = "See https://example.com/a"
    start = text.index("https")
    answer = {"feed": [_post("3lccccccccccc", {"text": text, "facets": [{
        "index": {"byteStart": start, "byteEnd": len(text)},
        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/a"}],
    }]})]}
    assert [p.text for p in _fetch(answer).new] == [text]


def test_odd_shapes_of_the_extras_are_ignored_not_fatal() -> None:
    answer = {"feed": [_post("3ldddddddddd1", {
        "text": "hi",
        "facets": [None, {"features": "nope"}, {"features": [{"uri": 5}]}],
        "tags": "not-a-list",
        "embed": {"$type": "app.bsky.embed.images", "images": [None, {"alt": 7}]},
    })]}
    assert [p.text for p in _fetch(answer).new] == ["hi"]
