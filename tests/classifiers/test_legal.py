"""Legal talk: litigation and legal questions flag; public news and chat do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers import legal
from classifiers.base import DetectorConfig, EmployerIdentity, PostText
from classifiers.training.leak_eval import load_legal, load_tweets, score_binary

DETECTOR = legal.build(DetectorConfig(employer=EmployerIdentity(names=("Acme Corp",))))


def flagged(text: str) -> list[tuple[str, str]]:
    return [
        (f.kind, text[f.start : f.end]) for f in DETECTOR.detect(PostText(text)) if f.score >= 0.5
    ]


MUST_FLAG = [
    (
        "Acme Corp is being sued by a supplier, our lawyers expect a settlement",
        [("lawsuit", "sued")],
    ),
    (
        "Heard the class action against my employer goes to court next month",
        [("lawsuit", "class action")],
    ),
    (
        "Can my landlord keep the security deposit? Do I have a case?",
        [("legal_matter", "Do I have a case")],
    ),
    (
        "The regulator opened an investigation into Acme Corp pricing",
        [("investigation", "regulator")],
    ),
]

MUST_NOT_FLAG = [
    "Great game on the basketball court tonight!",
    "Acme Corp launched its new product today",
    "The judge on that cooking show was brutal",
    "Sue and I went hiking this weekend",
    "Our quarterly results were published this morning, proud of the team",
]


@pytest.mark.parametrize(("text", "expected"), MUST_FLAG)
def test_flags_legal_talk(text: str, expected: list[tuple[str, str]]) -> None:
    assert flagged(text) == expected


@pytest.mark.parametrize("text", MUST_NOT_FLAG)
def test_does_not_flag_ordinary_posts(text: str) -> None:
    assert flagged(text) == []


def test_employer_mention_raises_the_score() -> None:
    plain = DETECTOR.detect(PostText("They sued the supplier and settled out of court"))
    employer = DETECTOR.detect(PostText("Acme Corp sued the supplier and settled out of court"))
    assert employer[0].score > plain[0].score
    assert employer[0].category == "legal" and employer[0].rule == "4"
    assert "involving the company" in employer[0].explanation


@pytest.mark.shared_data
def test_quality_on_legalbench_posts_and_tweets(shared_data: Path) -> None:
    posts = [x for x in load_legal(shared_data) if x.group == "LearnedHands"]
    result = score_binary(legal.build(DetectorConfig()), posts, load_tweets(shared_data))
    assert result.counts.recall >= 0.40, result.counts.as_dict()
    assert result.false_alarm_rate <= 0.005
