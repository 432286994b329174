"""The harmful-wording detector with the shipped model: must-flag and must-not-flag tables.

These tests need no ../shared data: the shipped model must work on a fresh install.
"""

from __future__ import annotations

import numpy as np
import pytest

from classifiers import harmful
from classifiers.base import DetectorConfig, PostText
from classifiers.harmful_model import HarmfulModel
from classifiers.language import detect_language
from classifiers.pipeline import Pipeline


@pytest.fixture(scope="module")
def detector() -> harmful.HarmfulWordingDetector:
    return harmful.build(DetectorConfig())


@pytest.mark.parametrize(
    ("text", "highlighted"),
    [
        ("you are a pathetic idiot", {"pathetic", "idiot"}),
        ("y0u 1d10t", {"1d10t"}),
        ("i d i o t", {"i d i o t"}),
        ("iiidiooot", {"iiidiooot"}),
        ("that was st*pid", {"st*pid"}),
        ("shut up, moron", {"moron"}),
        ("go kill yourself", {"go kill yourself"}),
        ("They should go back to where they came from. Go back to where you came from!",
         {"Go back to where you came from"}),
        ("those people are subhuman", {"subhuman"}),
    ],
)
def test_must_flag(
    detector: harmful.HarmfulWordingDetector, text: str, highlighted: set[str]
) -> None:
    findings = detector.detect(PostText(text))
    assert findings, text
    assert {text[f.start : f.end] for f in findings} >= highlighted
    assert all(f.category == "harmful" and f.rule == "1" for f in findings)
    assert max(f.score for f in findings) >= 0.75
    assert all("rule 1" in f.explanation for f in findings)


@pytest.mark.parametrize(
    "text",
    [
        "this bug is killing me",
        "I love my team",
        "we crushed it today",
        "that demo was sick",
        "great quarter everyone, thanks for the hard work",
        "as I said, please assess the class design",
        "the build is green again",
        "after the offsite we go back to where we started: the backlog",
        "time to go back to the office",
    ],
)
def test_must_not_flag(detector: harmful.HarmfulWordingDetector, text: str) -> None:
    assert detector.detect(PostText(text)) == []


def test_model_words_are_highlighted(detector: harmful.HarmfulWordingDetector) -> None:
    # A flag without lexicon words still points at the words that carried it.
    text = "those people are animals and disgusting trash"
    score, words = detector.model.explain(text)
    top = max(words, key=lambda w: w.weight)
    assert text[top.start : top.end] in {"animals", "disgusting", "trash"}
    assert 0.0 <= score <= 1.0


def test_slurs_are_never_spelled_out(detector: harmful.HarmfulWordingDetector) -> None:
    findings = detector.detect(PostText("what a f4gg0t"))
    (finding,) = [f for f in findings if f.kind == "lexicon_slurs"]
    assert "f4gg0t" not in finding.masked and "faggot" not in finding.explanation


def test_detector_protocol_and_gate(detector: harmful.HarmfulWordingDetector) -> None:
    assert detector.language_dependent is True
    assert detector.version.startswith(harmful.VERSION)
    pipeline = Pipeline([detector], detect_language=detect_language)
    result = pipeline.classify(PostText("Du bist ein Idiot und das ist nicht gut"))
    assert result.language == "de" and result.wording_assessed is False
    assert result.findings == ()


def test_batch_matches_single(detector: harmful.HarmfulWordingDetector) -> None:
    texts = ("you idiot", "nice work", "st*pid take", "", "those people are disgusting trash")
    posts = [PostText(t) for t in texts]
    assert detector.detect_many(posts) == [detector.detect(p) for p in posts]


def test_shipped_model_scores_are_probabilities() -> None:
    model = HarmfulModel.load()
    scores = model.score_many(["hello there", "you are a disgusting pig", ""])
    assert np.all((scores >= 0) & (scores <= 1))
    assert scores[1] > 0.5 > scores[0]
    assert model.score_many([]).shape == (0,)
