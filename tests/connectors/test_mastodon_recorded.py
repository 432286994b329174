"""Mastodon statuses as a real server sent them, read through Mastodon.py (issue 15, item 7).

Origin: two response bodies recorded by Mastodon.py's own test suite against a Mastodon
development server (``http://localhost:3000``), from github.com/halcy/Mastodon.py (MIT
licence), copied unchanged except for YAML's line folding:

- ``tests/cassettes/test_poll_illegal_vote.yaml`` (commit 0159bd7c), the answer to
  ``POST /api/v1/statuses`` of 2022-12-01: a status with a poll ("four twenty",
  "sixty-nine");
- ``tests/cassettes/test_media_post[False].yaml`` (commit 4f90728a), the answer to
  ``POST /api/v1/statuses`` of 2020-02-22: a status with an image described "John Lennon
  doing a funny walk".

The statuses endpoint answers them as one page (served raw by the local fake server): no
network is used.
"""

from __future__ import annotations

import json

from connector_support import clock

from connectors import mastodon
from connectors.base import AccountRef
from testing.fake_api import FakeSocialAPI

POLL_STATUS = (
    '{"id":"109440145884097283","created_at":"2022-12-01T19:48:21.016Z","in_reply_to_id":null,'
    '"in_reply_to_account_id":null,"sensitive":false,"spoiler_text":"","visibility":"public",'
    '"language":"en","uri":"http://localhost:3000/users/admin/statuses/109440145884097283",'
    '"url":"http://localhost:3000/@admin/109440145884097283","replies_count":0,'
    '"reblogs_count":0,"favourites_count":0,"edited_at":null,"favourited":false,'
    '"reblogged":false,"muted":false,"bookmarked":false,"pinned":false,'
    '"content":"\\u003cp\\u003enice\\u003c/p\\u003e","filtered":[],"reblog":null,'
    '"application":{"name":"Mastodon.py test suite","website":null},'
    '"account":{"id":"109440137501589086","username":"admin","acct":"admin",'
    '"display_name":"","locked":false,"bot":false,"discoverable":null,"group":false,'
    '"created_at":"2022-12-01T00:00:00.000Z","note":"","url":"http://localhost:3000/@admin",'
    '"avatar":"http://localhost:3000/avatars/original/missing.png",'
    '"avatar_static":"http://localhost:3000/avatars/original/missing.png",'
    '"header":"http://localhost:3000/headers/original/missing.png",'
    '"header_static":"http://localhost:3000/headers/original/missing.png",'
    '"followers_count":0,"following_count":0,"statuses_count":2,'
    '"last_status_at":"2022-12-01","noindex":false,"emojis":[],"fields":[]},'
    '"media_attachments":[],"mentions":[],"tags":[],"emojis":[],"card":null,'
    '"poll":{"id":"2","expires_at":"2022-12-01T19:53:21.014Z","expired":false,'
    '"multiple":false,"votes_count":0,"voters_count":0,"voted":true,"own_votes":[],'
    '"options":[{"title":"four twenty","votes_count":0},{"title":"sixty-nine",'
    '"votes_count":0}],"emojis":[]}}'
)
MEDIA_STATUS = (
    '{"id":"103704148548559582","created_at":"2020-02-22T19:28:47.627Z","in_reply_to_id":null,'
    '"in_reply_to_account_id":null,"sensitive":false,"spoiler_text":"","visibility":"public",'
    '"language":"en","uri":"http://localhost/users/mastodonpy_test/statuses/103704148548559582",'
    '"url":"http://localhost/@mastodonpy_test/103704148548559582","replies_count":0,'
    '"reblogs_count":0,"favourites_count":0,"favourited":false,"reblogged":false,'
    '"muted":false,"bookmarked":false,"pinned":false,'
    '"content":"\\u003cp\\u003eLOL check this out\\u003c/p\\u003e","reblog":null,'
    '"application":{"name":"Mastodon.py test suite","website":null},'
    '"account":{"id":"1234567890123456","username":"mastodonpy_test",'
    '"acct":"mastodonpy_test","display_name":"","locked":false,"bot":false,'
    '"discoverable":false,"group":false,"created_at":"2020-02-22T20:26:54.402Z",'
    '"note":"\\u003cp\\u003e\\u003c/p\\u003e","url":"http://localhost/@mastodonpy_test",'
    '"avatar":"http://localhost/avatars/original/missing.png",'
    '"avatar_static":"http://localhost/avatars/original/missing.png",'
    '"header":"http://localhost/headers/original/missing.png",'
    '"header_static":"http://localhost/headers/original/missing.png",'
    '"followers_count":0,"following_count":0,"statuses_count":2,'
    '"last_status_at":"2020-02-22","emojis":[],"fields":[]},'
    '"media_attachments":[{"id":"1","type":"image",'
    '"url":"http://localhost/system/media_attachments/files/000/000/001/original/'
    'abf96798c1e8f2aa.jpeg?1582399727",'
    '"preview_url":"http://localhost/system/media_attachments/files/000/000/001/small/'
    'abf96798c1e8f2aa.jpeg?1582399727","remote_url":null,'
    '"text_url":"http://localhost/media/zwW0A1wYGnqGywHjPho",'
    '"meta":{"focus":{"x":-0.5,"y":0.3},"original":{"width":600,"height":600,'
    '"size":"600x600","aspect":1.0},"small":{"width":400,"height":400,"size":"400x400",'
    '"aspect":1.0}},"description":"John Lennon doing a funny walk",'
    '"blurhash":"UGD9YgIo00j[NFofR%M{IURj%Ms;D%of%MR%"}],"mentions":[],"tags":[],'
    '"emojis":[],"card":null,"poll":null}'
)


def test_recorded_poll_options_and_media_description_are_read(fake_api: FakeSocialAPI) -> None:
    handle = "admin@localhost"
    fake_api.add_account("mastodon", handle)
    account_id = fake_api.account("mastodon", handle).native_id
    page = "[" + POLL_STATUS + "," + MEDIA_STATUS + "]"
    assert len(json.loads(page)) == 2
    fake_api.answer("mastodon", page, method=f"/accounts/{account_id}/statuses")
    connector = mastodon.build({"api_base_url": fake_api.url}, clock=clock)
    try:
        result = connector.fetch(AccountRef("mastodon", handle, account_id), None)
    finally:
        connector.close()
    assert [(p.native_id, p.text) for p in result.new] == [
        ("103704148548559582",
         "LOL check this out\n\nImage description: John Lennon doing a funny walk"),
        ("109440145884097283", "nice\n\nPoll option: four twenty\nPoll option: sixty-nine"),
    ]
    assert result.cursor == "109440145884097283"
