"""accounts link checks a handle's shape per network, and stores paths absolute."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import run

from monitor.errors import BadInput
from monitor.people.handles import check_handle


@pytest.mark.parametrize(
    ("network", "handle"),
    [
        ("x", "TwitterDev"), ("x", "@TwitterDev"), ("reddit", "spez"), ("reddit", "u/spez"),
        ("mastodon", "alice@mastodon.social"), ("mastodon", "@alice@mastodon.social"),
        ("bluesky", "alice.bsky.social"), ("bluesky", "did:plc:z72i7hdynmk6r22z27h6tvur"),
        ("rss", "https://blog.example/feed.xml"), ("rss", "http://localhost:8080/atom"),
    ],
)
def test_good_handles_pass_as_given(network: str, handle: str) -> None:
    assert check_handle(network, f"  {handle} ") == handle


@pytest.mark.parametrize(
    ("network", "handle", "message"),
    [
        ("x", "two words", "is not an X user name (expected 1-15 letters"),
        ("x", "much_too_long_for_x", "is not an X user name"),
        ("reddit", "ab", "is not a Reddit user name"),
        ("mastodon", "nobody", "needs its server: expected user@server"),
        ("mastodon", "nobody@", "names no server"),
        ("mastodon", "a b@mastodon.social", "is not a Mastodon handle"),
        ("bluesky", "not a handle", "is not a Bluesky handle"),
        ("rss", "ftp://files.example/feed", "is not a feed address (expected http(s)"),
        ("rss", "blog.example/feed", "is not a feed address"),
        ("file", "missing.jsonl", "not found"),
        ("linkedin-export", "no-such-folder", "not found"),
        ("x", "   ", "handle: empty"),
    ],
)
def test_bad_handles_say_what_was_expected(tmp_path: Path, network: str, handle: str,
                                           message: str) -> None:
    with pytest.raises(BadInput) as err:
        check_handle(network, handle, cwd=tmp_path)
    assert message in str(err.value)
    assert str(err.value).startswith("handle: ")


def test_mastodon_user_alone_is_fine_with_a_configured_server() -> None:
    assert check_handle("mastodon", "alice", mastodon_base_url="https://m.example") == "alice"


def test_file_handles_become_absolute_and_private_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "tweets.js").write_text("window.YTD.tweets.part0 = []")
    (tmp_path / "export" / "direct-messages.js").write_text("[]")
    assert check_handle("file", "export", cwd=tmp_path) == str(tmp_path / "export")
    assert check_handle("file", "export/tweets.js", cwd=tmp_path) == str(
        tmp_path / "export" / "tweets.js")
    base = tmp_path / "base"
    base.mkdir()
    (base / "a.jsonl").write_text("")
    assert check_handle("file", "a.jsonl", base_dir=base, cwd=tmp_path) == str(base / "a.jsonl")
    with pytest.raises(BadInput, match="is not a public export file"):
        check_handle("file", "export/direct-messages.js", cwd=tmp_path)


def test_link_refuses_bad_shapes_and_stores_nothing(capsys: pytest.CaptureFixture[str],
                                                    data_env: Path) -> None:
    assert run(capsys, "employees", "add", "ana@example.com", "--opt-in")[0] == 0
    for network, handle in (("file", "missing.jsonl"), ("x", "two words"),
                            ("mastodon", "nobody"), ("rss", "ftp://files.example/feed")):
        code, _, err = run(capsys, "accounts", "link", "ana@example.com", network, handle)
        assert code == 1, (network, handle)
        assert err.startswith("error: handle: ") and len(err.strip().splitlines()) == 1
    code, out, _ = run(capsys, "accounts", "list", "--json")
    assert json.loads(out) == []


def test_link_stores_an_absolute_path_and_unlink_takes_the_relative_one(
    capsys: pytest.CaptureFixture[str], data_env: Path
) -> None:
    (data_env / "posts.jsonl").write_text("")
    assert run(capsys, "employees", "add", "ana@example.com", "--opt-in")[0] == 0
    code, out, _ = run(capsys, "accounts", "link", "ana@example.com", "file", "posts.jsonl")
    assert code == 0 and str(data_env / "posts.jsonl") in out
    code, out, _ = run(capsys, "accounts", "list", "--json")
    assert json.loads(out)[0]["handle"] == str(data_env / "posts.jsonl")
    code, _, err = run(capsys, "accounts", "unlink", "ana@example.com", "file", "posts.jsonl")
    assert code == 0, err
    code, out, _ = run(capsys, "accounts", "list", "--json")
    assert json.loads(out) == []
