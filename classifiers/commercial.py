"""Commercial-information cues beyond the company's lexicon: secrecy, results, deals, clients.

A post leaks commercial information when it pairs a *secrecy or not-yet-public cue*
("confidential", "internal only", "under NDA", "before it's announced", "don't tell
anyone") with a *business subject* (results, revenue, merger, acquisition, deal, client,
roadmap, layoffs) — or talks as an insider ("we", "our client") about a deal or results
that are still to come. Public company news ("Microsoft acquired Activision") has a subject
but no secrecy or insider cue and stays below the digest threshold; "confidential" on its
own does too. Cue weights add up; one compiled pattern per cue family, run only on posts
that hold a literal it needs (:mod:`classifiers.literal_gate`).
"""

from __future__ import annotations

import re

from classifiers.base import DetectorConfig, Finding, PostText
from classifiers.leak_text import clamp, lower_keeping_offsets, make_finding
from classifiers.literal_gate import LiteralGate

NAME = "commercial_info"
VERSION = "1"

_SECRECY = LiteralGate(re.compile(
    r"(?<![\w])(?:confidential|internal(?:[ \-]use)? only|for internal use|under (?:an? )?nda|"
    r"nda|non-?disclosure|under embargo|embargoed|not (?:yet )?(?:public|announced)|"
    r"(?:hasn't|has not|haven't|have not|isn't|is not|wasn't) (?:been )?(?:announced|public|"
    r"released)(?: yet)?|before (?:it's|it is|they're|they are|the) (?:announced|public|"
    r"official|release[d]?)|(?:don't|do not) (?:tell|share|repost)|off the record|"
    r"(?:not|n't) supposed to (?:say|share|tell|talk)|can't say (?:much|more)|strictly private|"
    r"hush[ \-]hush|keep (?:it|this) (?:quiet|secret|between us)|leaked internal|"
    r"internal (?:memo|email|e-mail|numbers|figures|document|slide|deck|roadmap))(?![\w])",
))
_SUBJECT = LiteralGate(re.compile(
    r"(?<![\w])(?:(?:q[1-4]|quarterly|annual|full[ \-]year|half[ \-]year) (?:results|earnings|"
    r"numbers|revenue|figures|sales)|results|earnings|revenue|profits?|margins?|guidance|"
    r"forecast|merg(?:er|ing)|acqui(?:re|ring|sition)|takeover|buyout|deal|contract|"
    r"partnership|clients?|customers?|roadmap|launch|pricing|layoffs?|restructuring|"
    r"budget|valuation|funding round|ipo|pipeline|tender|bid)(?![\w])",
))
_INSIDER = LiteralGate(re.compile(
    r"(?<![\w])(?:we(?:'re| are| will|'ll)?|our|us|my (?:team|boss|manager|company|employer)|"
    r"at work|the office|internally)(?![\w])",
))
_FUTURE = LiteralGate(re.compile(
    r"(?<![\w])(?:next (?:week|month|quarter|year)|upcoming|unreleased|soon|about to|"
    r"going to|will (?:announce|beat|miss|close|sign|acquire|buy)|ahead of|in talks|"
    r"negotiating|still (?:secret|under wraps))(?![\w])",
))

_KIND_OF_SUBJECT = (
    (
        re.compile(
            r"result|earning|revenue|profit|margin|guidance|forecast|numbers|figures|sales|"
            r"valuation|budget",
            re.IGNORECASE,
        ),
        "unreleased_results",
    ),
    (
        re.compile(
            r"merg|acqui|takeover|buyout|deal|partnership|funding|ipo|tender|bid|contract",
            re.IGNORECASE,
        ),
        "deal",
    ),
    (re.compile(r"client|customer", re.IGNORECASE), "client_project"),
)
_EXPLAIN = {
    "unreleased_results": "financial results or figures that are not public yet",
    "deal": "a deal, merger or contract that is not public yet",
    "client_project": "details of a client's project",
    "confidential_marker": "information marked confidential or internal",
    "internal_plans": "internal plans that are not public yet",
}


class CommercialInfoDetector:
    """Flags posts that seem to share non-public commercial information."""

    name = NAME
    version = VERSION

    def detect(self, post: PostText) -> list[Finding]:
        text = post.text
        # The cue patterns are lower-case literals: matching them on lower-cased text is much
        # faster than re.IGNORECASE, and offsets stay those of the original text.
        lower = lower_keeping_offsets(text)
        # Cheapest rejection first: without a secrecy or a still-to-come cue nothing counts.
        secrecy = _SECRECY.search(lower)
        future = _FUTURE.search(lower) is not None
        if secrecy is None and not future:
            return []
        subject = _SUBJECT.search(lower)
        insider = _INSIDER.search(lower) is not None
        score = 0.0
        if secrecy:
            score += 0.45
        if subject:
            score += 0.25
        if insider:
            score += 0.15
        if future:
            score += 0.15
        if secrecy and subject:
            score += 0.1  # a secrecy marker on a business subject is the clearest leak
        # Without a secrecy cue, only an insider talking about what is still to come counts.
        if secrecy is None and not (insider and future):
            return []
        score = clamp(min(score, 0.95))
        if score < 0.5:
            return []
        anchor = secrecy or subject
        assert anchor is not None  # one of them matched above
        kind = "confidential_marker"
        if subject:
            kind = next(
                (k for pattern, k in _KIND_OF_SUBJECT if pattern.search(subject.group(0))),
                "internal_plans",
            )
        explanation = (
            f"This seems to share {_EXPLAIN[kind]}; rule 4 asks you not to post commercial "
            "information. Check with your manager before sharing anything that is not public."
        )
        return [
            make_finding(
                detector=NAME,
                version=VERSION,
                category="confidential",
                kind=kind,
                start=anchor.start(),
                end=anchor.end(),
                value=text[anchor.start() : anchor.end()],
                score=score,
                explanation=explanation,
            )
        ]


def build(config: DetectorConfig) -> CommercialInfoDetector:
    """The commercial-information detector; the company lexicon is in ``confidential``."""
    return CommercialInfoDetector()
