"""The file connector on small export files written by the test (all synthetic: made-up
ids, texts and names, shaped like Reddit data exports, X archives and JSONL exports)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.base import AccountRef, AccountUnavailable, SourceUnavailable
from connectors.exports.common import (
    BadExportFile,
    EmptyExport,
    PrivateExportFile,
    UnreadableExport,
)
from connectors.files import FileConnector, build

ROWS = [
    (
        "posts.jsonl",
        '{"id": "1", "text": "hello", "created_at": "2025-01-07T10:00:00Z"}\n\n'
        '{"id": "2", "text": "bye", "created_at": "2025-01-07T11:00:00+01:00", "url": "u"}\n',
        [
            ("1", "hello", datetime(2025, 1, 7, 10, tzinfo=UTC)),
            ("2", "bye", datetime(2025, 1, 7, 10, tzinfo=UTC)),
        ],
    ),
    (
        "tweets.js",
        "window.YTD.tweets.part0 = "
        + json.dumps(
            [
                {
                    "tweet": {
                        "id_str": "9",
                        "full_text": "tw",
                        "created_at": "Wed Oct 10 20:19:24 +0000 2018",
                    }
                }
            ]
        ),
        [("9", "tw", datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC))],
    ),
    (
        # Reddit's data export writes dates as "2025-01-07 10:00:00 UTC".
        "comments.csv",
        "id,permalink,date,body\nc1,https://reddit.com/c1,2025-01-07 10:00:00 UTC,text\n",
        [("c1", "text", datetime(2025, 1, 7, 10, tzinfo=UTC))],
    ),
    (
        "posts.csv",
        "id,permalink,date,title,body\np1,,2025-01-07T10:00:00+00:00,Title,text\n",
        [("p1", "Title\n\ntext", datetime(2025, 1, 7, 10, tzinfo=UTC))],
    ),
]


@pytest.mark.parametrize(("name", "content", "expected"), ROWS)
def test_formats(
    tmp_path: Path, name: str, content: str, expected: list[tuple[str, str, datetime]]
) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    connector = build({"base_dir": str(tmp_path)})
    result = connector.fetch(AccountRef("file", name), None)
    assert [(p.native_id, p.text, p.created_at) for p in result.new] == expected


def test_unchanged_file_costs_nothing_and_changes_are_read(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "1", "text": "a", "created_at": "2025-01-07T10:00:00Z"}\n')
    connector = FileConnector()
    account = AccountRef("file", str(path))
    first = connector.fetch(account, None)
    again = connector.fetch(account, first.cursor)
    assert not again.new and again.requests_made == 0

    path.write_text('{"id": "2", "text": "b", "created_at": "2025-01-07T10:00:00Z"}\n')
    assert [p.native_id for p in connector.fetch(account, first.cursor).new] == ["2"]
    rechecked = connector.recheck(account, ["1", "2"])
    # No longer in the export: evidence only, never a confirmed deletion.
    assert rechecked.deleted == [] and rechecked.missing == ["1"]
    assert [p.native_id for p in rechecked.edited] == ["2"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("p.jsonl", "not json\n", "p.jsonl line 1: no readable posts"),
        ("p.jsonl", '{"id": "1"}\n', "p.jsonl line 1: no readable posts"),
        ("p.txt", "x", "p.txt: not a public file"),
        ("p.csv", "id,body\n1,2\n", "p.csv: not a public file"),
        ("comments.csv", "a,b\n1,2\n", "expected a Reddit export"),
        ("tweets.js", "window.YTD.tweets.part0 = [[[", "not an X archive"),
        ("tweets.js", "window.YTD.tweets.part0 = " + "[" * 200_000, "nested too deeply"),
    ],
)
def test_bad_files(tmp_path: Path, name: str, content: str, message: str) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    # A wrong format stops the account (BadExportFile); unreadable content (every line bad,
    # too deeply nested) may be a half-written file: backed off like an outage.
    with pytest.raises((BadExportFile, UnreadableExport), match=message) as caught:
        FileConnector(tmp_path).verify(AccountRef("file", name))
    transient = "no readable posts" in message or "nested" in message
    assert isinstance(caught.value, UnreadableExport) == transient


def test_missing_file_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(AccountUnavailable, match="not found"):
        FileConnector(tmp_path).fetch(AccountRef("file", "nope.jsonl"), None)


# -- private files are never read -------------------------------------------------------------

MESSAGES_CSV = (  # synthetic: the columns of a Reddit export's messages.csv
    "id,permalink,thread_id,date,ip,from,to,subject,body\n"
    "m1,,t1,2025-01-07 10:00:00 UTC,0.0.0.0,someone,me,hi,a private message\n"
)
CHAT_CSV = (  # synthetic: the columns of chat_history.csv
    "message_id,created_at,updated_at,username,message,channel_url,conversation_type\n"
    "c1,2025-01-07 10:00:00 UTC,,someone,a private chat,u,direct\n"
)
DM_JS = (  # synthetic: the shape of an X archive's direct-messages.js
    "window.YTD.direct_messages.part0 = "
    + json.dumps([{"dmConversation": {"conversationId": "1-2", "messages": []}}])
)
POSTS_CSV = "id,permalink,date,title,body\np1,,2025-01-07T10:00:00+00:00,Title,public\n"
COMMENTS_CSV = "id,permalink,date,body\nc1,,2025-01-07 10:00:00 UTC,a public comment\n"
TWEETS_JS = "window.YTD.tweets.part0 = " + json.dumps(
    [{"tweet": {"id_str": "9", "full_text": "tw", "created_at": "Wed Oct 10 20:19:24 +0000 2018"}}]
)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("messages.csv", MESSAGES_CSV),
        ("chat_history.csv", CHAT_CSV),
        ("message_headers.csv", "id,permalink,thread_id,date,from,to\n"),
        ("direct-messages.js", DM_JS),
        ("direct-messages-group.js", DM_JS),
        ("account.js", "window.YTD.account.part0 = []"),
        # A private file under a public name is refused by its content.
        ("comments.csv", MESSAGES_CSV),
        ("tweets.js", DM_JS),
    ],
)
def test_private_files_are_refused_by_name(tmp_path: Path, name: str, content: str) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    connector = FileConnector(tmp_path)
    for call in (
        connector.verify,
        lambda a: connector.fetch(a, None),
        lambda a: connector.recheck(a, ["m1"]),
    ):
        with pytest.raises(PrivateExportFile) as caught:
            call(AccountRef("file", name))
        assert name in str(caught.value) and "private" in str(caught.value)
        assert "a private" not in str(caught.value)  # never the text


def test_folder_reads_only_public_files_and_names_the_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    export = tmp_path / "export"
    (export / "data").mkdir(parents=True)
    (export / "posts.csv").write_text(POSTS_CSV, encoding="utf-8")
    (export / "comments.csv").write_text(COMMENTS_CSV, encoding="utf-8")
    (export / "messages.csv").write_text(MESSAGES_CSV, encoding="utf-8")
    (export / "chat_history.csv").write_text(CHAT_CSV, encoding="utf-8")
    (export / "data" / "tweets.js").write_text(TWEETS_JS, encoding="utf-8")
    (export / "data" / "direct-messages.js").write_text(DM_JS, encoding="utf-8")
    connector = FileConnector(tmp_path)
    account = AccountRef("file", "export")
    with caplog.at_level(logging.INFO, logger="connectors.files"):
        result = connector.fetch(account, None)
    assert sorted(p.native_id for p in result.new) == ["9", "c1", "p1"]
    assert all("private" not in p.text for p in result.new)
    skipped = ["chat_history.csv", "data/direct-messages.js", "messages.csv"]
    assert connector.skipped["export"] == skipped
    logged = caplog.text
    assert all(name in logged for name in skipped)
    assert "a private" not in logged and "public comment" not in logged

    again = connector.fetch(account, result.cursor)
    assert again.requests_made == 0  # unchanged public files: nothing read
    (export / "messages.csv").write_text(MESSAGES_CSV + "m2,,t,d,ip,a,b,c,more\n")
    assert connector.fetch(account, result.cursor).requests_made == 0  # private: ignored


def test_folder_without_public_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "messages.csv").write_text(MESSAGES_CSV, encoding="utf-8")
    with pytest.raises(BadExportFile, match="no public export files"):
        FileConnector().verify(AccountRef("file", str(tmp_path)))


# -- bad lines, empty files ---------------------------------------------------------------------


def test_bad_lines_are_skipped_and_counted_not_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = [
        '{"id": "1", "text": "good one", "created_at": "2025-01-07T10:00:00Z"}',
        "[" * 200_000 + "]" * 200_000,  # RecursionError in json
        '["an", "array"]',
        '{"id": "2", "text": "secret words", "created_at": "not a time"}',
        '{"id": "' + "x" * 129 + '", "text": "t", "created_at": "2025-01-07T10:00:00Z"}',
        '{"id": "a\\u0000b", "text": "t", "created_at": "2025-01-07T10:00:00Z"}',
        "not json at all, secret words",
        '{"id": "3", "text": "good two", "created_at": "2025-01-07T11:00:00Z"}',
    ]
    (tmp_path / "p.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    connector = FileConnector(tmp_path)
    account = AccountRef("file", "p.jsonl")
    with caplog.at_level(logging.INFO, logger="connectors.files"):
        result = connector.fetch(account, None)
    assert [p.native_id for p in result.new] == ["1", "3"]
    assert result.dropped == 6
    assert "line 2" in caplog.text and "secret" not in caplog.text
    # A flagged post may sit on a bad line: nothing is reported missing meanwhile.
    rechecked = connector.recheck(account, ["1", "2", "9"])
    assert rechecked.missing == [] and rechecked.deleted == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("p.jsonl", ""),
        ("p.jsonl", "\n\n"),
        ("posts.csv", ""),
        ("posts.csv", "id,permalink,date,title,body\n"),
        ("tweets.js", "window.YTD.tweets.part0 = []"),
    ],
)
def test_empty_export_raises_and_reports_nothing(tmp_path: Path, name: str, content: str) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    connector = FileConnector(tmp_path)
    for call in (lambda a: connector.recheck(a, ["1", "2"]), lambda a: connector.fetch(a, None)):
        with pytest.raises(EmptyExport, match=f"{name}: the export is empty") as caught:
            call(AccountRef("file", name))
        assert isinstance(caught.value, SourceUnavailable)
