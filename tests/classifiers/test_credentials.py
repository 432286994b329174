"""Credentials: provider formats, keys, passwords; placeholders and ordinary text stay quiet."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers import credentials
from classifiers.base import DetectorConfig, PostText
from classifiers.training.leak_eval import load_secrets, load_tweets, score_binary

DETECTOR = credentials.build(DetectorConfig())


def flagged(text: str) -> list[tuple[str, str]]:
    return [
        (f.kind, text[f.start : f.end]) for f in DETECTOR.detect(PostText(text)) if f.score >= 0.5
    ]


GH = "ghp_" + "R4nd0mT0k3nV4lu3xYzQ9wE7pL2mN8bC6vD1s"  # built here so no scanner trips on it
MUST_FLAG = [
    ("oops pushed AKIAZ7Q4J2LMN5R8T3VX to the repo", [("aws_key", "AKIAZ7Q4J2LMN5R8T3VX")]),
    (f"token {GH} works now", [("github_token", GH)]),
    (
        "export STRIPE=sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        [("stripe_key", "sk_live_4eC39HqLyjWDarjtT1zdp7dc")],
    ),
    ("-----BEGIN RSA PRIVATE KEY-----", [("private_key", "-----BEGIN RSA PRIVATE KEY-----")]),
    (
        "db: postgres://admin:S3cr3tPw9@db.internal:5432/app",
        [("url_password", "postgres://admin:S3cr3tPw9@db.internal")],
    ),
    ("the wifi password is Summer2024!", [("password_assignment", "Summer2024!")]),
    ('config: password="Tr0ub4dor&3x"', [("password_assignment", "Tr0ub4dor&3x")]),
    (
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        [
            (
                "jwt",
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            )
        ],
    ),
]

MUST_NOT_FLAG = [
    "I forgot my password again, third time this week",
    "password: your_password_here",
    "set PASSWORD=changeme in the .env file",
    "api_key = <YOUR_API_KEY>",
    "AWS example key AKIAIOSFODNN7EXAMPLE from the docs",
    "token: ${GITHUB_TOKEN}",
    "my password is my dog's name lol",
    "Trump/Conservatives/Republicans/GOP/MAGAts are at it again",
    "Key: the meeting is at noon",
    "-----BEGIN PUBLIC KEY-----",
]


@pytest.mark.parametrize(("text", "expected"), MUST_FLAG)
def test_flags_credentials(text: str, expected: list[tuple[str, str]]) -> None:
    assert flagged(text) == expected


@pytest.mark.parametrize("text", MUST_NOT_FLAG)
def test_does_not_flag_placeholders_or_talk(text: str) -> None:
    assert flagged(text) == []


def test_finding_fields() -> None:
    [f] = DETECTOR.detect(PostText("key AKIAZ7Q4J2LMN5R8T3VX"))
    assert (f.category, f.rule, f.kind, f.start, f.end) == ("credentials", "4", "aws_key", 4, 24)
    assert f.score >= 0.8 and "AKIAZ7Q4J2LMN5R8T3VX" not in f.masked
    assert "rule 4" in f.explanation


@pytest.mark.shared_data
def test_quality_on_credsweeper_samples_and_tweets(shared_data: Path) -> None:
    result = score_binary(DETECTOR, load_secrets(shared_data), load_tweets(shared_data))
    assert result.counts.f1 >= 0.80, result.counts.as_dict()
    assert result.false_alarm_rate <= 0.005


def test_long_token_check_is_the_pattern() -> None:
    """``_has_long_token`` answers what ``\\S{20}`` does, Unicode spaces included."""
    import random
    import re

    from classifiers.credentials import _has_long_token

    pattern = re.compile(r"\S{20}")
    rng = random.Random(11)
    alphabet = ["a", "B", "7", "-", " ", "\t", "\n", "\u00a0", "\u2003", "\u3000", "é", "😀"]
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        assert _has_long_token(text) == bool(pattern.search(text)), repr(text)
