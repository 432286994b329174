"""Contract 8: a Bluesky re-check whose ``getPosts`` answer is ``{"posts": []}`` resolves no
flag; a post really deleted is resolved ``post_deleted`` only once confirmed.

The re-check job runs one tick after the daemon starts, so each run below is one re-check.
"""

from __future__ import annotations

from faults import FLAG_A, FLAG_B, Node, World, until

from testing.fake_api import FakeSocialAPI


def _open(node: Node, account_id: int) -> int:
    return int(node.scalar(
        "SELECT COUNT(*) FROM finding f JOIN post p ON p.id = f.post_id "
        "WHERE p.account_id = :a AND f.status = 'open'", a=account_id))


def _rechecked(node: Node, run: int, account_id: int) -> bool:
    return any(line.get("msg") in ("rechecked flagged posts", "recheck failed")
               and line.get("account_id") == account_id for line in node.log_lines(run))


def test_an_empty_getposts_answer_resolves_nothing_a_real_deletion_once_confirmed(
    world: World
) -> None:
    with FakeSocialAPI() as api:
        ann, bob = "ann.bsky.social", "bob.bsky.social"
        api.add_post("bluesky", ann, world.text(FLAG_A + " annmarker"))
        gone = api.add_post("bluesky", bob, world.text(FLAG_B + " bobgonemarker"))
        api.add_post("bluesky", bob, world.text(FLAG_A + " bobstaysmarker"))
        proxy = world.proxy(api.url)
        ann_did = api.account("bluesky", ann).native_id.rsplit(":", 1)[1]
        empty = proxy.add(rf"getPosts\?.*{ann_did}", body={"posts": []})
        smtp = world.smtp()
        node = world.node("n", smtp, daemon="recheck_minutes = 1", settings=f"""
[networks.bluesky]
api_base_url = "{proxy.url}"
""")
        node.person("ann@example.com", [("bluesky", ann)])
        node.person("bob@example.com", [("bluesky", bob)])
        a, b = node.account_id(ann), node.account_id(bob)
        # run 0: poll, flag, alert
        proc = node.start()
        until("3 flags open", lambda: _open(node, a) == 1 and _open(node, b) == 2)
        until("the alerts sent", lambda: node.scalar(
            "SELECT COUNT(*) FROM alert WHERE status IN ('queued', 'failed', 'sending')") == 0)
        assert node.stop(proc) == 0
        # bob really deletes one post; ann's AppView answer will be empty
        api.delete_post("bluesky", gone.native_id)
        world.deleted.add(gone.native_id)
        for run in (1, 2):  # two re-checks in a row
            proc = node.start()
            until(f"re-check {run} of both accounts",
                  lambda run=run: _rechecked(node, run, a) and _rechecked(node, run, b))
            assert node.stop(proc) == 0
            assert _open(node, a) == 1, "a flag resolved on an empty getPosts answer"
        assert empty.hits >= 2
        # then bob's deleted post is resolved as deleted, his other flag stays open
        resolved = node.rows(
            "SELECT p.native_id, f.resolution FROM finding f JOIN post p ON p.id = f.post_id "
            "WHERE f.status = 'resolved'")
        assert [(r.native_id, r.resolution) for r in resolved] == [
            (gone.native_id, "post_deleted")]
        assert _open(node, b) == 1
        world.check(node)
