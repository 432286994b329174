"""Every row of the credential rule table, both ways, through the credentials detector."""

from __future__ import annotations

import hashlib
import re
import uuid
import zlib

import pytest

from classifiers import credential_rules, credentials
from classifiers.base import DetectorConfig, PostText
from classifiers.credential_rules import RULES, Rule

DETECTOR = credentials.build(DetectorConfig())


def alerts(text: str) -> list[tuple[str, str, str]]:
    return [
        (f.kind, text[f.start : f.end], f.explanation)
        for f in DETECTOR.detect(PostText(text))
        if f.score >= 0.5
    ]


def _id(rule: Rule) -> str:
    return f"{rule.provider} {rule.what}"


@pytest.mark.parametrize("rule", RULES, ids=_id)
def test_true_example_fires_with_its_kind(rule: Rule) -> None:
    text = f"fyi {rule.true_example} (pasted by mistake)"
    [match] = [m for m in re.finditer(rule.pattern, text)][:1]
    found = alerts(text)
    assert any(
        kind == rule.kind and match.group(0) in value and rule.provider in why
        for kind, value, why in found
    ), found


@pytest.mark.parametrize("rule", RULES, ids=_id)
def test_false_example_stays_quiet(rule: Rule) -> None:
    assert alerts(f"see {rule.false_example} here") == []


def test_table_covers_sixty_providers_with_sources() -> None:
    assert len(credential_rules.PROVIDERS) >= 60
    assert all(r.source.startswith("https://") for r in RULES)
    assert all(r.true_example != r.false_example for r in RULES)


def _github_token(body30: str) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    n, check = zlib.crc32(body30.encode()), ""
    while n:
        n, r = divmod(n, 62)
        check = alphabet[r] + check
    return "ghp_" + body30 + check.rjust(6, "0")


def test_github_checksum_decides_for_the_documented_length() -> None:
    good = _github_token("Qm7Zt2LwX9cVbN4pR8sKyH3jD6fGa1")
    assert credential_rules.crc32_base62(good) is True
    bad = good[:-1] + ("A" if good[-1] != "A" else "B")
    assert credential_rules.crc32_base62(bad) is False
    assert alerts(f"token {good}")[0][0] == "github_token"
    assert alerts(f"token {bad}") == []


LOOK_ALIKES = [
    f"sha256 of the build: {hashlib.sha256(b'release').hexdigest()}",
    f"md5 {hashlib.md5(b'x').hexdigest()} matches",
    f"request id {uuid.UUID(int=0x1234_5678_9ABC_DEF0_1234_5678_9ABC_DEF0)} failed",
    "fixed in commit 3f9a2c71b0e84d5a96c1f7e2d4b8a0c6e5f1d2a3, deploying now",
    "git sha 3f9a2c7 is the one",
    "set api_key = xxxxxxxxxxxxxxxxxxxxxxxx and restart",
    "export OPENAI_API_KEY=<your-key>",
    "use sk_live_xxxxxxxxxxxxxxxxxxxxxxxx in prod",
    "the docs use AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "STRIPE_SECRET_KEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "publishable_key = pk_live_51HxYzAbCdEfGhIjKlMnOpQrStUv",
    "token: ${GITHUB_TOKEN}",
    "mongodb://<username>:<password>@cluster0.example.net",
    "Bitcoin address 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 in the article",
]


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_do_not_fire(text: str) -> None:
    assert alerts(text) == []


def test_test_mode_key_is_matched_but_scored_below_the_digest() -> None:
    text = "STRIPE_KEY=sk_test_" + "T1z4jtdp7dcC39HqLyjWareD"
    [match] = credential_rules.find(text)
    assert match.rule.provider == "Stripe" and match.score == credential_rules.TEST_KEY_SCORE
    assert alerts(text) == []  # nor does the weaker "KEY=" assignment rule report it
