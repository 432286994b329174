"""The detector interface and the values that cross it.

A detector turns a :class:`PostText` into :class:`Finding` values. Detectors are built by
factories listed in ``classifiers.registry`` from a :class:`DetectorConfig` (plain data the
application derives from the company policy), so this package never reads settings files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

# Entries each per-token or per-chunk cache of a detector may hold before it starts over: the
# daemon runs for months, and 50,000 covers the words of most posts (Zipf) in a few MB each.
CACHE_ENTRIES = 50_000

Category = Literal["harmful", "personal_data", "credentials", "confidential", "legal"]
CATEGORIES: tuple[Category, ...] = (
    "harmful",
    "personal_data",
    "credentials",
    "confidential",
    "legal",
)
LEAK_CATEGORIES: tuple[Category, ...] = ("personal_data", "credentials", "confidential", "legal")

# Which rule of the policy each category breaks (rules-of-conduct: 1 wording, 4 job information).
RULE_OF_CATEGORY: dict[Category, str] = {
    "harmful": "1",
    "personal_data": "4",
    "credentials": "4",
    "confidential": "4",
    "legal": "4",
}


@dataclass(frozen=True)
class PostText:
    """The text to classify and what a detector may know about its context."""

    text: str
    post_id: str | None = None
    # The employee's own public contact details (e-mail, phone, ...): never flagged.
    own_contacts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Finding:
    """One possible problem in one post. ``start``/``end`` index the original text."""

    detector: str
    version: str
    category: Category
    rule: str
    start: int
    end: int
    masked: str
    score: float
    explanation: str
    # A finer kind inside the category: "email", "phone", "aws_key", "secret_client", ...
    kind: str = ""


@dataclass(frozen=True)
class CompanyTerms:
    """Confidential vocabulary the company fills in its policy."""

    project_code_names: Sequence[str] = ()
    unreleased_products: Sequence[str] = ()
    secret_clients: Sequence[str] = ()
    internal_events: Sequence[str] = ()
    internal_hosts: Sequence[str] = ()
    allowed_terms: Sequence[str] = ()


@dataclass(frozen=True)
class EmployerIdentity:
    """Names, products, handles and people that mark a post as speaking about the employer."""

    names: Sequence[str] = ()
    products: Sequence[str] = ()
    handles: Sequence[str] = ()
    people: Sequence[str] = ()


@dataclass(frozen=True)
class DetectorConfig:
    """Everything a detector factory may use; built once by the application."""

    terms: CompanyTerms = field(default_factory=CompanyTerms)
    employer: EmployerIdentity = field(default_factory=EmployerIdentity)
    phone_regions: Sequence[str] = ("US", "GB", "DE", "FR")
    lexicon_dir: str | None = None
    # A retrained wording model installed by `social-monitor train`; None = the shipped one.
    harmful_model_dir: str | None = None


@runtime_checkable
class Detector(Protocol):
    """Turns one post into findings. Must not log or keep the post text."""

    name: str
    version: str

    def detect(self, post: PostText) -> list[Finding]:
        """Findings for ``post``; an empty list when nothing looks wrong."""
        ...


def mask(value: str, keep: int = 2) -> str:
    """Mask a matched value for display: keep a few characters at each end."""
    if len(value) <= keep * 2 + 1:
        return "•" * len(value)
    return value[:keep] + "•" * (len(value) - keep * 2) + value[-keep:]
