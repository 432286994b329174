"""Employer context (rule 1): once a post mentions your work, you speak for the company.

A post that names the employer, its products, its handles or its people makes every other
finding in it more serious: the score of each finding is raised (halfway to 1, so a
digest-level 0.5 becomes an alert-level 0.75) and its explanation says why. The mention
itself is not a finding.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from classifiers.base import EmployerIdentity, Finding

# score -> 1 - (1 - score) * _KEEP: halfway to certain.
_KEEP = 0.5
_NOTE = (
    " This post names {what}: rule 1 says that once you mention your work, readers take "
    "you as speaking for the company."
)


def _term_pattern(term: str) -> str:
    words = re.findall(r"[^\W_]+", term)
    if not words:
        return re.escape(term)
    return r"[\s\-_.]*".join(re.escape(w) for w in words)


@lru_cache(maxsize=32)
def _compile(names: tuple[str, ...], handles: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for all names (whole words, any spacing) and handles (with or without @)."""
    parts = [_term_pattern(n) for n in sorted(names, key=len, reverse=True) if n.strip()]
    parts += [re.escape(h.lstrip("@")) for h in handles if h.strip("@ ")]
    if not parts:
        return None
    return re.compile(r"(?<![^\W_])[#@]?(?:" + "|".join(parts) + r")(?![^\W_])", re.IGNORECASE)


def mentions_employer(text: str, employer: EmployerIdentity) -> bool:
    """True when ``text`` names the employer, a product, a handle or one of its people."""
    pattern = _compile(
        (*employer.names, *employer.products, *employer.people), tuple(employer.handles)
    )
    return pattern is not None and pattern.search(text) is not None


def apply_employer_context(
    text: str, findings: list[Finding], employer: EmployerIdentity | None
) -> list[Finding]:
    """``findings`` with raised scores and a rule-1 note when ``text`` names the employer."""
    if not findings or employer is None or not mentions_employer(text, employer):
        return findings
    note = _NOTE.format(what="your employer, its products or its people")
    return [
        replace(
            f,
            score=round(1.0 - (1.0 - f.score) * _KEEP, 4),
            explanation=f.explanation + note,
        )
        for f in findings
    ]
