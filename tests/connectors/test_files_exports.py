"""The file connector on a Mastodon archive's ``outbox.json`` and on Reddit data exports as
Reddit writes them (all synthetic: made-up ids, texts, servers and names, shaped like a
Mastodon "request your archive" export, which is an ActivityPub OrderedCollection of the
account's activities, and like Reddit's "request your data" CSV files)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.base import AccountRef
from connectors.exports.common import BadExportFile, EmptyExport
from connectors.files import FileConnector

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ME = "https://social.example/users/ana"
FOLLOWERS = ME + "/followers"


def _create(n: int, content: str, to: list[str], cc: list[str], **extra: Any) -> dict[str, Any]:
    note = {
        "id": f"{ME}/statuses/11300000000000000{n}",
        "type": "Note",
        "summary": None,
        "inReplyTo": None,
        "published": f"2025-01-0{n}T10:00:00Z",
        "url": f"https://social.example/@ana/11300000000000000{n}",
        "attributedTo": ME,
        "to": to,
        "cc": cc,
        "sensitive": False,
        "content": content,
        "attachment": [],
        "tag": [],
        **extra,
    }
    return {
        "id": note["id"] + "/activity",
        "type": "Create",
        "actor": ME,
        "published": note["published"],
        "to": to,
        "cc": cc,
        "object": note,
    }


def _outbox(items: list[Any]) -> str:
    return json.dumps(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": "outbox.json",
            "type": "OrderedCollection",
            "totalItems": len(items),
            "orderedItems": items,
        }
    )


OUTBOX_ITEMS = [
    _create(
        1,
        '<p>Q&amp;A: our plan is at <a href="https://wiki.corp.example/q3" rel="nofollow">'
        '<span class="invisible">https://</span><span class="">wiki.corp.example/q3</span>'
        "</a></p><p>second paragraph</p>",
        [PUBLIC],
        [FOLLOWERS],
    ),
    _create(  # unlisted: Public in cc, still public
        2,
        "<p>unlisted words</p>",
        [FOLLOWERS],
        [PUBLIC],
        summary="CW: work",
        attachment=[{"type": "Document", "mediaType": "image/png", "name": "slide: Bluebird"}],
    ),
    _create(3, "<p>followers only, private</p>", [FOLLOWERS], []),
    _create(4, "<p>a direct message, private</p>", ["https://other.example/users/bob"], []),
    {  # a boost: someone else's words
        "id": f"{ME}/statuses/5/activity",
        "type": "Announce",
        "actor": ME,
        "published": "2025-01-05T10:00:00Z",
        "to": [PUBLIC],
        "cc": [FOLLOWERS],
        "object": "https://other.example/users/bob/statuses/9",
    },
    _create(6, "<p>someone else's note, private</p>", [PUBLIC], [], attributedTo="https://x.ex/u"),
    _create(  # a poll: its options are the author's words too
        7,
        "<p>Which launch date?</p>",
        [PUBLIC],
        [],
        type="Question",
        oneOf=[{"type": "Note", "name": "May 3"}, {"type": "Note", "name": "June 9"}],
    ),
]


def test_outbox_reads_only_own_public_notes_as_text(tmp_path: Path) -> None:
    (tmp_path / "outbox.json").write_text(_outbox(OUTBOX_ITEMS), encoding="utf-8")
    result = FileConnector(tmp_path).fetch(AccountRef("file", "outbox.json"), None)
    assert [(p.native_id, p.text) for p in result.new] == [
        (
            f"{ME}/statuses/113000000000000001",
            "Q&A: our plan is at https://wiki.corp.example/q3\n\nsecond paragraph",
        ),
        (f"{ME}/statuses/113000000000000002", "CW: work\n\nunlisted words\n\nslide: Bluebird"),
        (f"{ME}/statuses/113000000000000007", "Which launch date?\n\nMay 3\n\nJune 9"),
    ]
    assert result.new[0].url == "https://social.example/@ana/113000000000000001"
    assert result.new[0].created_at == datetime(2025, 1, 1, 10, tzinfo=UTC)
    assert all("private" not in p.text for p in result.new)
    assert result.dropped == 0


def test_outbox_in_an_unpacked_archive(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    archive = tmp_path / "archive"
    (archive / "media_attachments").mkdir(parents=True)
    (archive / "outbox.json").write_text(_outbox(OUTBOX_ITEMS), encoding="utf-8")
    (archive / "actor.json").write_text(json.dumps({"id": ME, "type": "Person"}))
    (archive / "likes.json").write_text(_outbox([]), encoding="utf-8")
    (archive / "bookmarks.json").write_text(_outbox([]), encoding="utf-8")
    (archive / "media_attachments" / "a.png").write_bytes(b"\x89PNG")
    connector = FileConnector()
    with caplog.at_level(logging.INFO, logger="connectors.files"):
        result = connector.fetch(AccountRef("file", str(archive)), None)
    assert len(result.new) == 3
    assert connector.skipped[str(archive)] == [
        "actor.json",
        "bookmarks.json",
        "likes.json",
        "media_attachments/a.png",
    ]
    assert "unlisted words" not in caplog.text and "private" not in caplog.text


def test_outbox_bad_items_are_skipped_and_counted(tmp_path: Path) -> None:
    bad_time = _create(7, "<p>t</p>", [PUBLIC], [])
    bad_time["object"]["published"] = "not a time"
    no_id = _create(8, "<p>t</p>", [PUBLIC], [])
    del no_id["object"]["id"]
    items = [OUTBOX_ITEMS[0], "a string", {"type": "Create", "object": []}, bad_time, no_id]
    (tmp_path / "outbox.json").write_text(_outbox(items), encoding="utf-8")
    result = FileConnector(tmp_path).fetch(AccountRef("file", "outbox.json"), None)
    assert len(result.new) == 1 and result.dropped == 4


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        ('{"type": "Person", "id": "x"}', BadExportFile, "expected an ActivityPub Ordered"),
        ("[1, 2]", BadExportFile, "expected an ActivityPub Ordered"),
        ("{not json", BadExportFile, "not valid JSON"),
        (_outbox([]), EmptyExport, "the export is empty"),
        (_outbox([OUTBOX_ITEMS[2]]), EmptyExport, "the export is empty"),
    ],
)
def test_outbox_wrong_or_empty(
    tmp_path: Path, content: str, error: type[Exception], message: str
) -> None:
    (tmp_path / "outbox.json").write_text(content, encoding="utf-8")
    with pytest.raises(error, match=message) as caught:
        FileConnector(tmp_path).verify(AccountRef("file", "outbox.json"))
    assert "outbox.json" in str(caught.value)


# -- Reddit exports as Reddit writes them ---------------------------------------------------


def test_reddit_csv_with_a_byte_order_mark(tmp_path: Path) -> None:
    """Reddit's export (and Excel) may start the CSV with a UTF-8 BOM."""
    content = "\ufeffid,permalink,date,ip,subreddit,gildings,link,parent,body,media\n"
    content += "c1,https://www.reddit.com/r/t/comments/a/_/c1/,2025-01-07 10:00:00 UTC,,t,0,,,hi,\n"
    (tmp_path / "comments.csv").write_bytes(content.encode("utf-8"))
    result = FileConnector(tmp_path).fetch(AccountRef("file", "comments.csv"), None)
    assert [(p.native_id, p.text) for p in result.new] == [("c1", "hi")]


def test_reddit_deleted_and_removed_rows_are_not_posts(tmp_path: Path) -> None:
    content = (
        "id,permalink,date,body\n"
        "c1,,2025-01-07 10:00:00 UTC,[deleted]\n"
        "c2,,2025-01-07 10:01:00 UTC,[removed]\n"
        "c3,,2025-01-07 10:02:00 UTC,still here\n"
    )
    (tmp_path / "comments.csv").write_text(content, encoding="utf-8")
    (tmp_path / "posts.csv").write_text(
        "id,permalink,date,title,body\np1,,2025-01-07 10:00:00 UTC,Old title,[deleted]\n"
        "p2,,2025-01-07 10:00:00 UTC,Link post,\n",
        encoding="utf-8",
    )
    connector = FileConnector(tmp_path)
    result = connector.fetch(AccountRef("file", "comments.csv"), None)
    assert [p.native_id for p in result.new] == ["c3"] and result.dropped == 0
    posts = connector.fetch(AccountRef("file", "posts.csv"), None)
    assert [(p.native_id, p.text) for p in posts.new] == [("p2", "Link post")]


def test_reddit_export_of_only_deleted_rows_is_empty(tmp_path: Path) -> None:
    (tmp_path / "comments.csv").write_text(
        "id,permalink,date,body\nc1,,2025-01-07 10:00:00 UTC,[deleted]\n", encoding="utf-8"
    )
    with pytest.raises(EmptyExport):
        FileConnector(tmp_path).fetch(AccountRef("file", "comments.csv"), None)
