"""Employer context: a post naming the employer raises its other findings (rule 1)."""

from __future__ import annotations

import pytest

from classifiers.base import EmployerIdentity, Finding, PostText
from classifiers.employer import apply_employer_context, mentions_employer
from classifiers.pipeline import Pipeline

ACME = EmployerIdentity(
    names=("Acme Corp",), products=("RoadRunner",), handles=("@acme",), people=("Wile Coyote",)
)


def _finding(score: float) -> Finding:
    return Finding("d", "1", "harmful", "1", 0, 4, "••••", score, "Words like 'x'.")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("I work at acme corp and they are idiots", True),
        ("the roadrunner release is garbage", True),
        ("cc @acme this is a mess", True),
        ("wile coyote is a clown", True),
        ("#AcmeCorp sucks", True),
        ("acmeish products are fine", False),
        ("nothing about work here", False),
    ],
)
def test_mentions_employer(text: str, named: bool) -> None:
    assert mentions_employer(text, ACME) is named


def test_raises_scores_and_explains() -> None:
    # given a digest-level finding in a post naming the employer
    out = apply_employer_context("acme corp is run by idiots", [_finding(0.5)], ACME)
    # then it becomes alert-level and the explanation cites rule 1
    assert out[0].score == 0.75
    assert "speaking for the company" in out[0].explanation


def test_no_mention_or_no_findings_leaves_findings_alone() -> None:
    f = [_finding(0.6)]
    assert apply_employer_context("idiots everywhere", f, ACME) == f
    assert apply_employer_context("acme corp", [], ACME) == []
    assert apply_employer_context("acme corp", f, None) == f


class _Fixed:
    name = "fixed"
    version = "1"

    def detect(self, post: PostText) -> list[Finding]:
        return [_finding(0.5)]


def test_pipeline_applies_employer_context() -> None:
    pipeline = Pipeline([_Fixed()], employer=ACME)
    (finding,) = pipeline.classify(PostText("RoadRunner is trash")).findings
    assert finding.score == 0.75
    (plain,) = Pipeline([_Fixed()]).classify(PostText("RoadRunner is trash")).findings
    assert plain.score == 0.5
