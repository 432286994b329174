"""The file connector on small export files written by the test."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.base import AccountRef, AccountUnavailable
from connectors.files import BadExportFile, FileConnector, build

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
    assert rechecked.deleted == ["1"] and [p.native_id for p in rechecked.edited] == ["2"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("p.jsonl", "not json\n", "not valid JSON"),
        ("p.jsonl", '{"id": "1"}\n', "missing field"),
        ("p.txt", "x", "unknown format"),
        ("p.csv", "a,b\n1,2\n", "expected a Reddit export"),
    ],
)
def test_bad_files(tmp_path: Path, name: str, content: str, message: str) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(BadExportFile, match=message):
        FileConnector(tmp_path).verify(AccountRef("file", name))


def test_missing_file_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(AccountUnavailable, match="not found"):
        FileConnector(tmp_path).fetch(AccountRef("file", "nope.jsonl"), None)
