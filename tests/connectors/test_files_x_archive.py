"""The file connector on X archives (all synthetic: made-up ids, texts and times, shaped like
the files of an X "download your data" archive: ``data/tweets.js``, ``tweets-part1.js``,
``note-tweet.js``). The archive writes ``full_text`` HTML-escaped with t.co links listed in
``entities.urls``; a post over 280 characters is cut in ``tweets.js`` and whole in
``note-tweet.js`` (``noteTweet.core.text``, its links in ``core.urls``), tied to its tweet
only by the creation time."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.base import AccountRef
from connectors.exports.common import BadExportFile
from connectors.files import FileConnector


def _tweet(tid: str, text: str, when: str = "Wed Oct 10 20:19:24 +0000 2018", **extra: Any) -> Any:
    return {"tweet": {"id_str": tid, "id": tid, "full_text": text, "created_at": when, **extra}}


def _js(variable: str, items: list[Any], part: int = 0) -> str:
    return f"window.YTD.{variable}.part{part} = " + json.dumps(items, indent=2)


def _note(nid: str, text: str, created: str, urls: list[dict[str, Any]] | None = None) -> Any:
    core = {"styletags": [], "urls": urls or [], "text": text, "mentions": [], "hashtags": []}
    return {
        "noteTweet": {
            "noteTweetId": nid,
            "updatedAt": created,
            "lifecycle": {"value": "initial", "name": "Initial", "originalValue": "initial"},
            "createdAt": created,
            "core": core,
        }
    }


def _fetch(path: Path) -> dict[str, str]:
    result = FileConnector().fetch(AccountRef("file", str(path)), None)
    return {p.native_id: p.text for p in result.new}


def test_archive_text_is_unescaped_and_links_expanded(tmp_path: Path) -> None:
    link = {
        "url": "https://t.co/AbC123",
        "expanded_url": "https://wiki.corp.example/q3/plan.pdf?a=1&b=2",
        "display_url": "wiki.corp.example/q3/plan.pdf…",
        "indices": ["20", "43"],
    }
    items = [
        _tweet(
            "1", "Q&amp;A: AT&amp;T &gt; $5M, see https://t.co/AbC123", entities={"urls": [link]}
        ),
        _tweet("2", "https://t.co/AbC1234 is another link", entities={"urls": [link]}),
    ]
    (tmp_path / "tweets.js").write_text(_js("tweets", items), encoding="utf-8")
    assert _fetch(tmp_path / "tweets.js") == {
        "1": "Q&A: AT&T > $5M, see https://wiki.corp.example/q3/plan.pdf?a=1&b=2",
        "2": "https://t.co/AbC1234 is another link",  # not the listed link: left alone
    }


def test_archive_retweets_are_skipped_quotes_kept(tmp_path: Path) -> None:
    quoted = {
        "url": "https://t.co/Qq1",
        "expanded_url": "https://twitter.com/bob/status/77",
        "display_url": "twitter.com/bob/status/77",
        "indices": ["10", "26"],
    }
    items = [
        _tweet("1", "RT @bob: someone else's words about Project Bluebird"),
        _tweet("2", "I agree! https://t.co/Qq1", entities={"urls": [quoted]}),
        _tweet("3", "my own words"),
    ]
    (tmp_path / "tweets.js").write_text(_js("tweets", items), encoding="utf-8")
    assert _fetch(tmp_path / "tweets.js") == {
        "2": "I agree! https://twitter.com/bob/status/77",
        "3": "my own words",
    }


LONG = (
    "A long post about our quarter. " * 9
    + "Then the part past 280 characters: Project Bluebird ships to Acme & Co, "
    "draft at https://t.co/Long1 for the team."
)


def test_note_tweet_gives_the_whole_text_of_a_cut_post(tmp_path: Path) -> None:
    data = tmp_path / "archive" / "data"
    data.mkdir(parents=True)
    cut = LONG.replace("&", "&amp;")[:270] + "…"
    tweets = [
        _tweet("100", cut, "Mon Jan 06 09:00:00 +0000 2025"),
        _tweet("101", "a short one a second later", "Mon Jan 06 09:00:01 +0000 2025"),
    ]
    url = {"shortUrl": "https://t.co/Long1", "expandedUrl": "https://intranet.corp.example/d"}
    notes = [
        _note("555", LONG.replace("&", "&amp;"), "2025-01-06T09:00:00.000Z", [url]),
        # A long post whose tweet is not in the archive: read on its own, never lost.
        _note("556", "Only in note-tweet.js", "2025-01-07T10:00:00.000Z"),
        # Created with tweet 101 but not its words: tweet 101 keeps its own text.
        _note("557", "Unrelated long words", "2025-01-06T09:00:01.000Z"),
    ]
    (data / "tweets.js").write_text(_js("tweets", tweets), encoding="utf-8")
    (data / "note-tweet.js").write_text(_js("note_tweet", notes), encoding="utf-8")
    (data / "account.js").write_text(_js("account", []), encoding="utf-8")
    whole = LONG.replace("https://t.co/Long1", "https://intranet.corp.example/d")
    connector = FileConnector()
    result = connector.fetch(AccountRef("file", str(tmp_path / "archive")), None)
    assert {p.native_id: p.text for p in result.new} == {
        "100": whole,
        "101": "a short one a second later",
        "556": "Only in note-tweet.js",
        "557": "Unrelated long words",
    }
    times = {p.native_id: p.created_at for p in result.new}
    assert times["556"] == datetime(2025, 1, 7, 10, tzinfo=UTC)
    assert connector.skipped[str(tmp_path / "archive")] == ["data/account.js"]


def test_note_tweet_file_alone_is_read(tmp_path: Path) -> None:
    """Today's refusal was "note-tweet.js item 0 has no tweet id"."""
    notes = [_note("9", "long words &amp; more", "2025-01-06T09:00:00.000Z")]
    (tmp_path / "note-tweet.js").write_text(_js("note_tweet", notes), encoding="utf-8")
    assert _fetch(tmp_path / "note-tweet.js") == {"9": "long words & more"}


def test_tweets_parts_are_all_read(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "tweets.js").write_text(_js("tweets", [_tweet("1", "part zero")]), encoding="utf-8")
    (data / "tweets-part1.js").write_text(
        _js("tweets", [_tweet("2", "part one")], part=1), encoding="utf-8"
    )
    (data / "tweets-part2.js").write_text(
        _js("tweets", [_tweet("3", "part two")], part=2), encoding="utf-8"
    )
    assert _fetch(tmp_path) == {"1": "part zero", "2": "part one", "3": "part two"}
    assert _fetch(data / "tweets-part1.js") == {"2": "part one"}


@pytest.mark.parametrize(
    "content",
    [
        _js("note_tweet", [{"noteTweet": "x"}, _note("8", "kept", "2025-01-06T09:00:00Z")]),
        _js("note_tweet", [{"noteTweet": {"noteTweetId": "7"}}, _note("8", "kept", "2025")]),
    ],
)
def test_bad_note_items_are_skipped_and_counted(tmp_path: Path, content: str) -> None:
    (tmp_path / "note-tweet.js").write_text(content, encoding="utf-8")
    result = FileConnector().fetch(AccountRef("file", str(tmp_path / "note-tweet.js")), None)
    assert [p.native_id for p in result.new] == ["8"] and result.dropped == 1


def test_other_ytd_file_under_note_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "note-tweet.js").write_text(_js("direct_messages", []), encoding="utf-8")
    with pytest.raises(BadExportFile, match="private"):
        FileConnector().verify(AccountRef("file", str(tmp_path / "note-tweet.js")))
