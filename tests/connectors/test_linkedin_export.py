"""The ``linkedin-export`` connector on a member's own "Get a copy of your data" archive.

The sample in ``samples_linkedin/export`` is synthetic: written by hand after the archive's
documented files and columns (``samples_linkedin/SOURCE.md`` says where from); no real
member's data. Zips are built from it in each test.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors import linkedin_export
from connectors._http import NotedPost
from connectors.base import AccountRef, AccountUnavailable, FetchedPost, SourceUnavailable
from connectors.exports.common import (
    BadExportFile,
    EmptyExport,
    PrivateExportFile,
    UnreadableExport,
)

SAMPLE = Path(__file__).parent / "samples_linkedin" / "export"
PRIVATE_FILES = ["Connections.csv", "Email Addresses.csv", "Profile.csv", "messages.csv"]


def _account(path: Path) -> AccountRef:
    return AccountRef(linkedin_export.NETWORK, str(path))


def _zip(source: Path, target: Path, *, prefix: str = "", mtime: float | None = None) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for item in sorted(source.rglob("*")):
            if item.is_file():
                archive.write(item, prefix + item.relative_to(source).as_posix())
    if mtime is not None:
        os.utime(target, (mtime, mtime))
    return target


def _by_id(posts: object) -> dict[str, FetchedPost]:
    assert isinstance(posts, list | tuple)
    return {p.native_id: p for p in posts}


@pytest.fixture
def connector() -> linkedin_export.LinkedInExportConnector:
    return linkedin_export.build({})


def test_reads_shares_comments_and_articles(
    connector: linkedin_export.LinkedInExportConnector,
) -> None:
    result = connector.fetch(_account(SAMPLE), None)
    posts = _by_id(result.new)
    share = posts["urn:li:ugcPost:7458194261025673216"]
    assert share.text == (
        "Excited to share what our team shipped this week!\n\n"
        'Big thanks to everyone who pulled late nights for the "Falcon" launch.'
    )
    assert share.created_at == datetime(2025, 5, 7, 16, 41, 18, tzinfo=UTC)
    assert share.url == (
        "https://www.linkedin.com/feed/update/urn%3Ali%3AugcPost%3A7458194261025673216"
    )
    linked = posts["urn:li:share:7448081445065035776"]
    assert linked.text == "Worth a read\n\nhttps://blog.example.com/architecture-notes"

    comments = sorted((p for p in result.new if p.native_id.startswith("linkedin-comment:")),
                      key=lambda p: p.created_at)
    assert [c.text for c in comments] == [
        'Back when I led the "tea, Earl Grey" replicator team,\n\nit was hot.',
        "Congratulations on the launch!",
    ]
    assert comments[1].url.endswith("urn%3Ali%3Aactivity%3A7345000000000000001")

    article = posts["linkedin-article:lessons-from-our-q3-migration-ab12c"]
    assert article.text == (
        "Lessons from our Q3 migration\n\nWe moved forty services in one quarter.\n\n"
        "The runbook is on the wiki.\n\nhttps://wiki.corp.example/runbooks/q3"
    )
    assert article.created_at == datetime(2025, 2, 3, 9, 0, tzinfo=UTC)
    assert article.url == "https://www.linkedin.com/pulse/lessons-from-our-q3-migration-ab12c"

    undated = posts["urn:li:share:7440000000000000002"]
    assert undated.text == "This row has no readable date"
    assert isinstance(undated, NotedPost) and undated.metadata == {
        "created_at": "archive time",
        "created_at_reason": "the export's date 'not a date' could not be read",
    }
    assert undated.created_at == datetime.fromtimestamp(
        (SAMPLE / "Shares.csv").stat().st_mtime, UTC)

    assert len(result.new) == 6  # the bare reshare is someone else's post: not a post here
    assert result.dropped == 0


def test_private_files_are_skipped_named_and_never_read(
    connector: linkedin_export.LinkedInExportConnector, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="connectors")
    result = connector.fetch(_account(SAMPLE), None)
    assert connector.skipped[str(SAMPLE)] == PRIVATE_FILES
    assert not any("PRIVATE" in p.text for p in result.new)
    assert "skipped 4 file(s)" in caplog.text and "messages.csv" in caplog.text
    assert "Falcon" not in caplog.text  # no post text in logs


def test_watched_folder_reads_the_newest_archive_and_rereads_a_newer_one(
    tmp_path: Path, connector: linkedin_export.LinkedInExportConnector
) -> None:
    watched = tmp_path / "drop"
    watched.mkdir()
    older = tmp_path / "older"
    shutil.copytree(SAMPLE, older)
    (older / "Shares.csv").write_text(
        "Date,ShareLink,ShareCommentary,SharedUrl,MediaUrl,Visibility\n"
        "2024-01-01 10:00:00,https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A1,"
        "an old share,,,PUBLIC\n", encoding="utf-8")
    _zip(older, watched / "Basic_LinkedInDataExport_01-01-2024.zip", mtime=1_700_000_000)
    _zip(SAMPLE, watched / "Complete_LinkedInDataExport_06-01-2025.zip",
         prefix="Complete_LinkedInDataExport_06-01-2025/", mtime=1_750_000_000)
    account = _account(watched)

    first = connector.fetch(account, None)
    ids = set(_by_id(first.new))
    assert "urn:li:ugcPost:7458194261025673216" in ids and "urn:li:share:1" not in ids
    assert connector.read_from[str(watched)] == "Complete_LinkedInDataExport_06-01-2025.zip"

    again = connector.fetch(account, first.cursor)
    assert not again.new and again.cursor == first.cursor and again.requests_made == 0

    newer = tmp_path / "newer"
    shutil.copytree(SAMPLE, newer)
    with (newer / "Comments.csv").open("a", encoding="utf-8") as fh:
        fh.write("2025-07-01 08:00:00,https://www.linkedin.com/feed/update/urn%3Ali%3A"
                 "activity%3A9,A new comment\n")
    (newer / "Shares.csv").write_text(
        (SAMPLE / "Shares.csv").read_text(encoding="utf-8"), encoding="utf-8")
    shutil.move(newer, watched / "Complete_LinkedInDataExport_07-01-2025")
    os.utime(watched / "Complete_LinkedInDataExport_07-01-2025", (1_760_000_000,) * 2)
    third = connector.fetch(account, first.cursor)
    assert third.cursor != first.cursor
    assert "A new comment" in [p.text for p in third.new]
    assert connector.read_from[str(watched)] == "Complete_LinkedInDataExport_07-01-2025"


def test_a_newest_archive_without_public_files_falls_back_to_an_older_one(
    tmp_path: Path, connector: linkedin_export.LinkedInExportConnector
) -> None:
    _zip(SAMPLE, tmp_path / "complete.zip", mtime=1_700_000_000)
    only_private = tmp_path / "connections-only"
    only_private.mkdir()
    shutil.copy(SAMPLE / "Connections.csv", only_private)
    _zip(only_private, tmp_path / "connections.zip", mtime=1_750_000_000)
    shutil.rmtree(only_private)
    result = connector.fetch(_account(tmp_path), None)
    assert len(result.new) == 6
    assert connector.read_from[str(tmp_path)] == "complete.zip"


def test_no_archive_with_public_files_says_what_was_skipped(
    tmp_path: Path, connector: linkedin_export.LinkedInExportConnector
) -> None:
    only_private = tmp_path / "src"
    only_private.mkdir()
    for name in ("Connections.csv", "messages.csv"):
        shutil.copy(SAMPLE / name, only_private)
    watched = tmp_path / "drop"
    watched.mkdir()
    _zip(only_private, watched / "export.zip")
    with pytest.raises(BadExportFile, match=r"no Shares.csv, Comments.csv or articles.*"
                       r"Connections.csv, messages.csv"):
        connector.fetch(_account(watched), None)


def test_an_empty_watched_folder_is_retried_later(
    tmp_path: Path, connector: linkedin_export.LinkedInExportConnector
) -> None:
    with pytest.raises(EmptyExport, match="no LinkedIn archive"):
        connector.fetch(_account(tmp_path), None)


def test_a_missing_folder_is_unavailable(
    tmp_path: Path, connector: linkedin_export.LinkedInExportConnector
) -> None:
    with pytest.raises(AccountUnavailable, match="not found"):
        connector.fetch(_account(tmp_path / "nope"), None)


def test_a_half_copied_zip_is_unreadable_for_now(
    tmp_path: Path, connector: linkedin_export.LinkedInExportConnector
) -> None:
    whole = _zip(SAMPLE, tmp_path / "whole.zip")
    (tmp_path / "drop").mkdir()
    (tmp_path / "drop" / "export.zip").write_bytes(whole.read_bytes()[:200])
    with pytest.raises(UnreadableExport, match=r"export\.zip") as caught:
        connector.fetch(_account(tmp_path / "drop"), None)
    assert isinstance(caught.value, SourceUnavailable)  # backed off and tried again


@pytest.mark.parametrize("name", ["messages.csv", "Connections.csv", "Profile.csv"])
def test_a_handle_naming_a_private_file_is_refused(
    connector: linkedin_export.LinkedInExportConnector, name: str
) -> None:
    with pytest.raises(PrivateExportFile, match=re.escape(f"{name} is private")):
        connector.fetch(_account(SAMPLE / name), None)


def test_a_shares_file_with_message_columns_is_refused(
    tmp_path: Path, connector: linkedin_export.LinkedInExportConnector
) -> None:
    shutil.copy(SAMPLE / "messages.csv", tmp_path / "Shares.csv")
    with pytest.raises(PrivateExportFile, match=r"Shares\.csv is private.*FROM"):
        connector.fetch(_account(tmp_path), None)


def test_a_shares_file_without_its_columns_names_them(
    tmp_path: Path, connector: linkedin_export.LinkedInExportConnector
) -> None:
    (tmp_path / "Shares.csv").write_text("Foo,Bar\n1,2\n", encoding="utf-8")
    with pytest.raises(BadExportFile, match=r"Shares\.csv: expected the columns Date and "
                       r"ShareCommentary"):
        connector.fetch(_account(tmp_path), None)


def test_byte_order_mark_and_member_id_suffix(
    tmp_path: Path, connector: linkedin_export.LinkedInExportConnector
) -> None:
    (tmp_path / "Shares_17529409.csv").write_bytes(
        "\ufeffDate,ShareLink,ShareCommentary,SharedUrl,MediaUrl,Visibility\n"
        "2025-01-07 10:00:00,https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A5,"
        "Grüße,,,PUBLIC\n".encode())
    (post,) = connector.fetch(_account(tmp_path), None).new
    assert (post.native_id, post.text) == ("urn:li:share:5", "Grüße")


def test_recheck_reports_missing_never_deleted(
    tmp_path: Path, connector: linkedin_export.LinkedInExportConnector
) -> None:
    export = tmp_path / "export"
    shutil.copytree(SAMPLE, export)
    result = connector.recheck(
        _account(export), ["urn:li:share:7448081445065035776", "urn:li:share:999"]
    )
    assert [p.native_id for p in result.edited] == ["urn:li:share:7448081445065035776"]
    assert result.deleted == [] and result.missing == ["urn:li:share:999"]
    with (export / "Shares.csv").open("a", encoding="utf-8") as fh:
        # a field far over any real post (csv's field limit): damaged, not readable
        fh.write('2025-01-01 10:00:00,x,"' + "x" * 200_000 + '",,,PUBLIC\n')
        fh.write("2025-01-02 10:00:00,https://www.linkedin.com/feed/update/urn%3Ali%3Ashare"
                 "%3A77,after the damaged row,,,PUBLIC\n")
    unreadable = connector.recheck(_account(export), ["urn:li:share:999", "urn:li:share:77"])
    assert unreadable.dropped == 1
    assert [p.text for p in unreadable.edited] == ["after the damaged row"]
    assert unreadable.missing == [] and unreadable.deleted == []  # a flagged post may sit there


def test_verify_reads_the_export(
    tmp_path: Path, connector: linkedin_export.LinkedInExportConnector
) -> None:
    assert connector.verify(_account(SAMPLE)) == _account(SAMPLE)
    with pytest.raises(EmptyExport):
        connector.verify(_account(tmp_path))


def test_relative_handles_use_base_dir(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE, tmp_path / "alice")
    connector = linkedin_export.build({"base_dir": str(tmp_path)})
    assert len(connector.fetch(AccountRef("linkedin-export", "alice"), None).new) == 6
