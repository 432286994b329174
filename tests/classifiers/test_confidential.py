"""Confidential terms from the policy: normalised matching, spans into the original text."""

from __future__ import annotations

import pytest

from classifiers import confidential
from classifiers.base import CompanyTerms, DetectorConfig, PostText

TERMS = CompanyTerms(
    project_code_names=("Project Falcon", "Falcon Lite"),
    unreleased_products=("Acme Phone X",),
    secret_clients=("Globex",),
    internal_events=("Hack Week",),
    internal_hosts=("build01.corp.acme",),
    allowed_terms=("Hack Week",),
)
DETECTOR = confidential.build(DetectorConfig(terms=TERMS))


def flagged(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in DETECTOR.detect(PostText(text))]


MUST_FLAG = [
    ("Loving #ProjectFalcon so far", [("project_code_name", "#ProjectFalcon")]),
    ("project-falcon ships soon", [("project_code_name", "project-falcon")]),
    ("Working late on Project  Falcon", [("project_code_name", "Project  Falcon")]),
    ("Big meeting with GLOBEX today", [("secret_client", "GLOBEX")]),
    ("The acme phone x camera is wild", [("unreleased_product", "acme phone x")]),
    ("ssh build01.corp.acme is down", [("internal_host", "build01.corp.acme")]),
]

MUST_NOT_FLAG = [
    "Falconry is a fun hobby",  # a word that merely starts with a term
    "Hack Week was fun",  # allowed by the policy
    "I love my new phone",
    "Globexx is not our client",
]


@pytest.mark.parametrize(("text", "expected"), MUST_FLAG)
def test_flags_company_terms(text: str, expected: list[tuple[str, str]]) -> None:
    assert flagged(text) == expected


@pytest.mark.parametrize("text", MUST_NOT_FLAG)
def test_does_not_flag_other_words(text: str) -> None:
    assert flagged(text) == []


def test_secret_client_finding() -> None:
    [f] = DETECTOR.detect(PostText("Big meeting with Globex today"))
    assert (f.category, f.rule, f.kind, f.start, f.end) == (
        "confidential",
        "4",
        "secret_client",
        17,
        23,
    )
    assert f.score >= 0.75 and "rule 4" in f.explanation


def test_no_terms_means_no_findings() -> None:
    assert confidential.build(DetectorConfig()).detect(PostText("Project Falcon")) == []
