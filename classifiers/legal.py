"""Legal talk: comments on lawsuits, court cases, settlements and investigations.

Rule 4 asks employees not to comment on legal issues, above all litigation, without
permission. One Aho-Corasick pass finds legal cue phrases; each cue has a weight, and the
weights of distinct cues combine like independent evidence (``1 - prod(1 - w)``), so one
stray "court" or "judge" in a tweet about politics stays below the digest threshold while a
post that talks about suing, lawyers and a settlement does not. A mention of the employer
(names from the policy, or "my employer", "our company") raises the score: that is the case
the rule is most worried about.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import ahocorasick

from classifiers.base import DetectorConfig, Finding, PostText
from classifiers.leak_text import clamp, make_finding

NAME = "legal_talk"
VERSION = "1"

# (weight, kind, phrases). Kinds: "lawsuit" (litigation), "investigation" (regulators,
# police), "legal_matter" (other legal questions: contracts, tenancy, employment law).
# Phrases are lower-case literals matched on whole words; a cue counts once per post.
_CUES: tuple[tuple[float, str, tuple[str, ...]], ...] = (
    (0.5, "lawsuit", ("lawsuit", "lawsuits")),
    (0.4, "lawsuit", ("sue", "sues", "sued", "suing")),
    (0.5, "lawsuit", ("litigation", "litigate", "litigating")),
    (0.5, "lawsuit", ("class action", "class-action")),
    (0.45, "lawsuit", ("plaintiff", "plaintiffs", "defendant", "defendants")),
    (
        0.45,
        "lawsuit",
        (
            "subpoena",
            "subpoenaed",
            "subpoenas",
            "deposition",
            "depositions",
            "injunction",
            "injunctions",
        ),
    ),
    (0.35, "lawsuit", ("indicted", "indictment")),
    (
        0.5,
        "lawsuit",
        (
            "settle out of court",
            "settled out of court",
            "settlement out of court",
            "settlement offer",
            "settlement agreement",
            "settlement talks",
        ),
    ),
    (0.2, "lawsuit", ("settlement", "settlements")),
    (
        0.4,
        "lawsuit",
        (
            "in court",
            "to court",
            "at court",
            "court case",
            "court date",
            "court order",
            "court hearing",
            "court filing",
            "court cases",
        ),
    ),
    (0.5, "lawsuit", ("small claims",)),
    (0.15, "lawsuit", ("court", "courts")),
    (0.5, "lawsuit", ("legal action", "legal proceedings", "legal proceeding", "legal dispute")),
    (0.5, "lawsuit", ("cease and desist",)),
    (
        0.45,
        "lawsuit",
        (
            "breach of contract",
            "breached the contract",
            "breached my contract",
            "breached our contract",
        ),
    ),
    (
        0.5,
        "lawsuit",
        (
            "wrongful termination",
            "wrongfully terminated",
            "wrongful dismissal",
            "wrongfully dismissed",
        ),
    ),
    (0.45, "lawsuit", ("restraining order", "protective order")),
    (0.3, "lawsuit", ("verdict", "jury")),
    (0.15, "lawsuit", ("judge", "judges")),
    (0.12, "lawsuit", ("trial",)),
    (0.1, "lawsuit", ("appeal", "appealed", "appeals")),
    (
        0.3,
        "legal_matter",
        ("attorney", "attorneys", "lawyer", "lawyers", "solicitor", "solicitors", "legal counsel"),
    ),
    (0.45, "legal_matter", ("legal advice", "legal aid", "legal help")),
    (
        0.35,
        "legal_matter",
        (
            "is it legal",
            "is this legal",
            "is that legal",
            "is it illegal",
            "is this illegal",
            "is that illegal",
            "legally",
            "legal rights",
            "legal right",
        ),
    ),
    (0.15, "legal_matter", ("illegal", "illegally", "unlawful", "unlawfully")),
    (0.12, "legal_matter", ("legal",)),
    (0.35, "legal_matter", ("evict", "evicted", "eviction", "evicting")),
    (0.25, "legal_matter", ("landlord", "tenant", "tenancy")),
    (0.2, "legal_matter", ("lease", "security deposit")),
    (0.3, "legal_matter", ("custody", "child support", "alimony")),
    (0.2, "legal_matter", ("divorce", "divorced", "divorcing")),
    (0.1, "legal_matter", ("contract", "contracts")),
    (0.2, "legal_matter", ("my rights", "your rights", "our rights", "their rights")),
    (
        0.3,
        "legal_matter",
        (
            "discrimination",
            "retaliation",
            "unpaid wages",
            "labor board",
            "labour board",
            "tribunal",
            "eeoc",
        ),
    ),
    (
        0.25,
        "legal_matter",
        ("statute", "liable", "liability", "negligence", "negligent", "damages"),
    ),
    (
        0.35,
        "investigation",
        (
            "police report",
            "file a report",
            "filed a report",
            "filed a police report",
            "file a complaint",
            "filed a complaint",
            "file complaint",
        ),
    ),
    (0.3, "investigation", ("regulator", "regulators", "antitrust", "probe", "watchdog")),
    (0.15, "investigation", ("investigation", "investigating", "investigated")),
    (0.3, "investigation", ("charged with", "pleaded guilty", "plead guilty")),
    (0.15, "investigation", ("fined", "penalty", "penalties")),
    # Acronyms count only when written in capitals (see _CASE_SENSITIVE).
    (0.2, "investigation", ("ftc", "sec", "doj", "cma", "fca", "gdpr", "osha")),
    # Everyday legal questions (tenancy, family, traffic, employment law, property).
    (
        0.3,
        "legal_matter",
        (
            "copyright",
            "copyrighted",
            "trademark",
            "trademarks",
            "patent",
            "patents",
            "infringe",
            "infringed",
            "infringing",
            "infringement",
        ),
    ),
    (
        0.3,
        "investigation",
        (
            "arrest",
            "arrested",
            "convicted",
            "felony",
            "misdemeanor",
            "misdemeanour",
            "dui",
            "dwi",
            "probation",
            "parole",
            "criminal record",
            "rap sheet",
        ),
    ),
    (0.2, "legal_matter", ("immigration", "deported", "deportation", "green card")),
    (
        0.3,
        "legal_matter",
        ("hoa", "power of attorney", "poa", "probate", "inheritance", "executor"),
    ),
    (
        0.35,
        "legal_matter",
        ("custody agreement", "rental agreement", "notice to vacate", "lease agreement"),
    ),
    (
        0.25,
        "investigation",
        (
            "traffic ticket",
            "traffic tickets",
            "speeding ticket",
            "speeding tickets",
            "citation",
            "pulled over",
        ),
    ),
    (0.3, "legal_matter", ("code violation", "code violations", "zoning")),
    (0.3, "legal_matter", ("non-compete", "noncompete", "non-disclosure agreement", "nda")),
    (
        0.35,
        "legal_matter",
        tuple(
            f"{who} {legally}{what}"
            for who in (
                "am i",
                "are they",
                "are we",
                "is he",
                "is she",
                "is it",
                "can they",
                "can he",
                "can she",
                "can i",
            )
            for legally in ("", "legally ")
            for what in ("allowed", "entitled", "required", "obligated", "liable", "responsible")
        ),
    ),
    (
        0.4,
        "legal_matter",
        (
            "do i have a case",
            "do i have any case",
            "do i have a claim",
            "do i have any recourse",
            "what are my options",
            "any recourse",
        ),
    ),
    (
        0.3,
        "legal_matter",
        (
            "file a claim",
            "file claim",
            "claim against",
            "report them to",
            "report him to",
            "report her to",
            "report it to",
        ),
    ),
    (
        0.3,
        "legal_matter",
        (
            "debt collector",
            "debt collectors",
            "debt collection",
            "collection agency",
            "collections agency",
            "garnish",
            "garnished",
            "garnishment",
        ),
    ),
    (0.12, "investigation", ("police", "cop", "cops", "officer", "officers")),
    (
        0.25,
        "legal_matter",
        (
            "unemployment benefits",
            "workers comp",
            "workers' comp",
            "workers compensation",
            "workers' compensation",
            "severance",
            "overtime",
            "paystub",
            "paystubs",
            "minimum wage",
        ),
    ),
    (0.15, "legal_matter", ("harassment", "harassing", "harassed", "terminated", "termination")),
)
# Cues that only count in capitals ("SEC" the regulator, not "sec" the second).
_CASE_SENSITIVE = frozenset({"ftc", "sec", "doj", "cma", "fca", "gdpr", "osha"})
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
        for index, (_, _, phrases) in enumerate(_CUES):
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
            if phrase in _CASE_SENSITIVE and not original.isupper():
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
            miss *= 1.0 - _CUES[index][0]
        score = 1.0 - miss
        employer = self._employer.search(text) if score >= 0.3 else None
        if employer:
            score += 0.25
        score = clamp(min(score, 0.95))
        if score < 0.3:
            return []
        top = max(best, key=lambda i: _CUES[i][0])
        kind = _CUES[top][1]
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
