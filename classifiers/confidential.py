"""Confidential business terms from the company policy: code names, secret clients, ...

All terms are compiled into one pattern (one pass over the text, not a loop over terms).
Words of a term may be joined by spaces, hyphens, underscores or nothing, and may start
with ``#`` or ``@``, so ``#ProjectFalcon``, ``project-falcon`` and ``Project Falcon`` all
hit; the match is found on the original text, so spans need no mapping back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from classifiers.base import DetectorConfig, Finding, PostText, mask
from classifiers.leak_text import lower_keeping_offsets
from classifiers.literal_gate import LiteralGate

NAME = "confidential_terms"
VERSION = "2"

# kind -> (what it is, in words the employee reads)
_KINDS: dict[str, str] = {
    "project_code_name": "an internal project code name",
    "unreleased_product": "an unreleased product",
    "secret_client": "a client whose relationship with us must stay secret",
    "internal_event": "an internal event",
    "internal_host": "an internal host name",
}


def _term_pattern(term: str) -> str:
    words = re.findall(r"[^\W_]+", term)
    if not words:
        return re.escape(term)
    return r"[\s\-_.]*".join(re.escape(w.lower()) for w in words)


class ConfidentialTermsDetector:
    name = NAME
    version = VERSION

    def __init__(self, terms_by_kind: dict[str, Iterable[str]], allowed: Iterable[str] = ()):
        allowed_keys = {self._key(a) for a in allowed}
        self._kind_of: dict[str, str] = {}
        parts: list[str] = []
        # Longest terms first so "Project Falcon Lite" wins over "Project Falcon".
        entries = [
            (term, kind)
            for kind, terms in terms_by_kind.items()
            for term in terms
            if term.strip() and self._key(term) not in allowed_keys
        ]
        for term, kind in sorted(entries, key=lambda e: -len(e[0])):
            key = self._key(term)
            if key in self._kind_of:
                continue
            self._kind_of[key] = kind
            parts.append(_term_pattern(term))
        # Run only on posts holding a word of some term (most hold none): the literal gate.
        self._pattern = (
            LiteralGate(re.compile(r"(?<![^\W_])[#@]?(?:" + "|".join(parts) + r")(?![^\W_])"))
            if parts
            else None
        )

    @staticmethod
    def _key(term: str) -> str:
        return "".join(re.findall(r"[^\W_]+", term.casefold()))

    def detect(self, post: PostText) -> list[Finding]:
        if self._pattern is None:
            return []
        findings = []
        text = post.text
        # Terms are compiled lower-case and matched on lower-cased text: several times faster
        # than re.IGNORECASE, and the offsets still index the original text.
        for m in self._pattern.finditer(lower_keeping_offsets(text)):
            matched = text[m.start() : m.end()]
            kind = self._kind_of.get(self._key(matched), "project_code_name")
            what = _KINDS[kind]
            findings.append(
                Finding(
                    detector=NAME,
                    version=VERSION,
                    category="confidential",
                    rule="4",
                    start=m.start(),
                    end=m.end(),
                    masked=mask(matched),
                    score=0.95,
                    explanation=(
                        f"This names {what} ({matched!r}); rule 4 asks you not to post "
                        "confidential business information."
                    ),
                    kind=kind,
                )
            )
        return findings


def build(config: DetectorConfig) -> ConfidentialTermsDetector:
    t = config.terms
    return ConfidentialTermsDetector(
        {
            "project_code_name": t.project_code_names,
            "unreleased_product": t.unreleased_products,
            "secret_client": t.secret_clients,
            "internal_event": t.internal_events,
            "internal_host": t.internal_hosts,
        },
        allowed=t.allowed_terms,
    )
