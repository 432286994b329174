"""Commercial-information cues: secrecy + business subject flags; public news does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers import commercial
from classifiers.base import DetectorConfig, PostText
from classifiers.training.leak_eval import false_alarms, load_tweets

DETECTOR = commercial.build(DetectorConfig())


def flagged(text: str) -> list[tuple[str, str]]:
    return [
        (f.kind, text[f.start : f.end]) for f in DETECTOR.detect(PostText(text)) if f.score >= 0.5
    ]


MUST_FLAG = [
    (
        "Can't say much but we're acquiring a competitor next month, still under NDA",
        [("deal", "Can't say much")],
    ),
    (
        "Q3 results look great, revenue up 20% - not public yet!",
        [("unreleased_results", "not public")],
    ),
    ("Internal only: the roadmap slides for next year", [("internal_plans", "Internal only")]),
    ("Our client is about to sign the biggest deal of the year", [("client_project", "client")]),
]

MUST_NOT_FLAG = [
    "Microsoft announced it acquired Activision",
    "We launched our new app today, go try it!",
    "This is confidential lol",
    "Public company news: Acme reports record quarterly results",
    "I love my new phone",
]


@pytest.mark.parametrize(("text", "expected"), MUST_FLAG)
def test_flags_commercial_information(text: str, expected: list[tuple[str, str]]) -> None:
    assert flagged(text) == expected


@pytest.mark.parametrize("text", MUST_NOT_FLAG)
def test_does_not_flag_public_news(text: str) -> None:
    assert flagged(text) == []


def test_finding_fields() -> None:
    [f] = DETECTOR.detect(PostText("Q3 results look great, revenue up 20% - not public yet!"))
    assert (f.category, f.rule, f.detector) == ("confidential", "4", "commercial_info")
    assert 0.75 <= f.score <= 1.0 and "rule 4" in f.explanation


@pytest.mark.shared_data
def test_false_alarms_on_ordinary_tweets(shared_data: Path) -> None:
    flagged_count, total = false_alarms(DETECTOR, load_tweets(shared_data))
    assert flagged_count / total <= 0.002
