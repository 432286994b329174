"""Legal talk: comments on lawsuits, court cases, settlements and investigations.

Rule 4 asks employees not to comment on legal issues, above all litigation, without
permission. One Aho-Corasick pass finds legal cue phrases (:mod:`classifiers.legal_cues`);
each cue has a weight, and the weights of distinct cues combine like independent evidence
(``1 - prod(1 - w)``), so one stray "court" or "judge" in a tweet about politics stays below
the digest threshold while a post that talks about suing, lawyers and a settlement does not.
A mention of the employer (names from the policy, or "my employer", "our company") raises the
score: that is the case the rule is most worried about.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import ahocorasick

from classifiers.base import DetectorConfig, Finding, PostText
from classifiers.leak_text import clamp, make_finding
from classifiers.legal_cues import CASE_SENSITIVE, CUES

NAME = "legal_talk"
VERSION = "1"

_EMPLOYER_WORDS = (
    r"my (?:employer|company|boss|manager|job|workplace)|our (?:company|firm|employer|client)|"
    r"we(?:'re| are) being sued|(?:at|from) work|hr department"
)

_KIND_WORDS = {
    "lawsuit": "a lawsuit or court case",
    "investigation": "an investigation or complaint",
    "legal_matter": "a legal matter",
}


def _alternation(parts: Iterable[str]) -> str:
    return "|".join(f"(?:{p})" for p in parts)


class LegalTalkDetector:
    """Flags posts that comment on legal matters, more strongly when the employer is named."""

    name = NAME
    version = VERSION

    def __init__(self, employer_terms: Iterable[str] = ()) -> None:
        # One Aho-Corasick pass over the lower-cased text finds every cue phrase; a regular
        # expression with this many alternatives was the slowest part of the leak stage.
        self._automaton = ahocorasick.Automaton()
        for index, (_, _, phrases) in enumerate(CUES):
            for phrase in phrases:
                if phrase not in self._automaton:
                    self._automaton.add_word(phrase, (index, len(phrase), phrase))
        self._automaton.make_automaton()
        names = [re.escape(t.strip()) for t in employer_terms if t.strip()]
        employer = _EMPLOYER_WORDS + ("|" + _alternation(names) if names else "")
        self._employer = re.compile(r"(?<![\w])(?:" + employer + r")(?![\w])", re.IGNORECASE)

    def _cues(self, text: str) -> dict[int, tuple[int, int]]:
        """First span of each distinct cue that occurs as whole words."""
        lower = text.lower()
        if len(lower) != len(text):  # a few characters grow when lower-cased: keep offsets
            lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        found: dict[int, tuple[int, int]] = {}
        n = len(lower)
        for last, (index, length, phrase) in self._automaton.iter(lower):
            if index in found:
                continue
            start, end = last - length + 1, last + 1
            if (start > 0 and lower[start - 1].isalnum()) or (end < n and lower[end].isalnum()):
                continue
            original = text[start:end]
            if phrase in CASE_SENSITIVE and not original.isupper():
                continue
            if phrase == "sue" and original[0].isupper():
                continue  # "Sue" is more often a name than a verb
            found[index] = (start, end)
        return found

    def detect(self, post: PostText) -> list[Finding]:
        text = post.text
        best = self._cues(text)
        if not best:
            return []
        miss = 1.0
        for index in best:
            miss *= 1.0 - CUES[index][0]
        score = 1.0 - miss
        employer = self._employer.search(text) if score >= 0.3 else None
        if employer:
            score += 0.25
        score = clamp(min(score, 0.95))
        if score < 0.3:
            return []
        top = max(best, key=lambda i: CUES[i][0])
        kind = CUES[top][1]
        start, end = best[top]
        about = _KIND_WORDS[kind]
        involving = " involving the company" if employer else ""
        explanation = (
            f"This seems to comment on {about}{involving}; rule 4 asks you not to comment on "
            "legal issues, especially litigation, without permission. Check with the legal "
            "team before posting."
        )
        return [
            make_finding(
                detector=NAME,
                version=VERSION,
                category="legal",
                kind=kind,
                start=start,
                end=end,
                value=text[start:end],
                score=score,
                explanation=explanation,
            )
        ]


def build(config: DetectorConfig) -> LegalTalkDetector:
    """Legal-talk detector that knows the employer's names from the policy."""
    e = config.employer
    return LegalTalkDetector(employer_terms=[*e.names, *e.products])
