"""Contract 1: a native id is unique per account only. Two employees whose sources both hold
``same-1`` keep two posts, each its own text, alert and account; one opting out erases only
their own post."""

from __future__ import annotations

from faults import FLAG_A, FLAG_B, FaultSmtp, Node, World, body_text, until


def _two_people(world: World, node: Node, smtp: FaultSmtp, handles: dict[str, str],
                texts: dict[str, str]) -> None:
    proc = node.start()
    until("2 alerts sent", lambda: node.scalar(
        "SELECT COUNT(*) FROM alert WHERE status = 'sent' AND kind = 'immediate'") == 2)
    posts = node.rows("SELECT a.handle, p.native_id, p.text FROM post p "
                      "JOIN account a ON a.id = p.account_id")
    assert len(posts) == 2, posts
    by_handle = {p.handle: p.text for p in posts}
    for email, text in texts.items():  # a feed's text may lead with the entry's title
        other = next(t for e, t in texts.items() if e != email)
        assert text in by_handle[handles[email]] and other not in by_handle[handles[email]]
    assert len({p.native_id for p in posts}) == 1
    # each employee's alert shows their own post, never the other's
    for email in texts:
        other = next(e for e in texts if e != email)
        mails = smtp.to(email)
        assert len(mails) == 1, [m["Subject"] for m in mails]
        body = body_text(mails[0])
        marker, other_marker = texts[email].split()[-1], texts[other].split()[-1]
        assert other_marker not in body and handles[other] not in body
        assert marker in body or handles[email] in body or "Acme" in body or "Falcon" in body
    node.stop(proc)
    # when one opts out
    help_text = node.cli("employees", "opt-out", "--help").stdout
    flags = ["--yes"] if "--yes" in help_text else []
    done = node.cli("employees", "opt-out", *flags, "alice@example.com")
    assert done.returncode == 0, done.stderr
    # then the other's post is intact, and the first one's text is nowhere in the database
    rows = node.rows("SELECT a.handle, p.text FROM post p JOIN account a ON a.id = p.account_id")
    assert [r.handle for r in rows] == [handles["bob@example.com"]]
    assert texts["bob@example.com"] in rows[0].text
    assert node.db_contains(texts["alice@example.com"]) == []
    assert node.db_contains(handles["alice@example.com"]) == []
    world.check(node)


def test_two_exports_with_the_same_id_keep_two_posts(world: World) -> None:
    smtp = world.smtp()
    node = world.node("n", smtp)
    texts = {"alice@example.com": FLAG_A + " alicemarker",
             "bob@example.com": FLAG_B + " bobmarker"}
    handles = {}
    for email, text in texts.items():
        name = email.split("@")[0]
        handles[email] = world.export(world.tmp / f"{name}.jsonl", [("same-1", text)])
        node.person(email, [("file", handles[email])])
    _two_people(world, node, smtp, handles, texts)


def _rss(title: str, text: str, guid: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{title}</title><link>http://127.0.0.1/</link>
<description>blog</description>
<item><title>post</title><guid isPermaLink="false">{guid}</guid>
<link>http://127.0.0.1/{title}/1</link>
<pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate><description>{text}</description></item>
</channel></rss>"""


def test_two_feeds_with_the_same_guid_keep_two_posts(world: World) -> None:
    smtp = world.smtp()
    feeds = world.proxy()  # serves two feeds whose entries share one guid
    node = world.node("n", smtp)
    texts = {"alice@example.com": world.text(FLAG_A + " alicemarker"),
             "bob@example.com": world.text(FLAG_B + " bobmarker")}
    handles = {}
    for email, text in texts.items():
        name = email.split("@")[0]
        feeds.add(rf"^GET /feeds/{name}\.xml", body=_rss(name, text, "same-1"),
                  headers={"Content-Type": "application/rss+xml"})
        handles[email] = f"{feeds.url}/feeds/{name}.xml"
        node.person(email, [("rss", handles[email])])
    _two_people(world, node, smtp, handles, texts)
