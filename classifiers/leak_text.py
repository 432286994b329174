"""Small helpers shared by the leak detectors (personal data, credentials, legal, commercial).

Nothing here keeps or logs post text: the helpers look at a string and return numbers,
booleans or spans.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from classifiers.base import Category, Finding, mask

# Words that say "this is not a real value": a value or its surroundings containing one of
# these is a placeholder, a documentation example or a joke, not a leak.
_PLACEHOLDER = re.compile(
    r"example|sample|dummy|placeholder|changeme|change_me|your[_\-\s]?\w*(?:here|key|token|"
    r"password|secret)|<[^>]*>|\$\{|\{\{|xxxx|\*\*\*|\.\.\.|redacted|fake|not[_\-\s]real|"
    r"lorem|foobar|1234567|7654321|654321$|abcdef|qwerty|insert[_\-\s]|replace[_\-\s]?me",
    re.IGNORECASE,
)


def looks_like_placeholder(value: str) -> bool:
    """True when ``value`` reads like a placeholder (``your_password_here``, ``xxxx``, ...)."""
    return _PLACEHOLDER.search(value) is not None


def shannon_entropy(value: str) -> float:
    """Bits per character; random tokens score high, words and repeated characters low."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def char_classes(value: str) -> int:
    """How many of lower case, upper case, digits and other characters ``value`` mixes."""
    return (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() for c in value)
    )


def window(text: str, start: int, end: int, before: int = 40, after: int = 25) -> tuple[str, str]:
    """The lower-cased text just before and just after a span, for context words."""
    return text[max(0, start - before) : start].lower(), text[end : end + after].lower()


def lower_keeping_offsets(text: str) -> str:
    """``text.lower()`` with the same length, so match offsets index the original text.

    Case-sensitive patterns on lower-cased text run several times faster than
    ``re.IGNORECASE`` alternations; the few characters that grow when lower-cased are kept.
    """
    lower = text.lower()
    if len(lower) != len(text):
        lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return lower


def digits_only(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def own_contact_keys(contacts: Iterable[str]) -> frozenset[str]:
    """Normalise the employee's own contact details: case-folded e-mails, digits of phones.

    Phones are compared by their last 9 digits as well, so ``+44 7700 900123`` written in the
    profile also matches ``07700 900123`` in a post.
    """
    keys: set[str] = set()
    for c in contacts:
        c = c.strip()
        if "@" in c:
            keys.add(c.casefold())
            continue
        digits = digits_only(c)
        if len(digits) >= 6:
            keys.add(digits)
            keys.add("tail:" + digits[-9:])
    return frozenset(keys)


def is_own_contact(value: str, keys: frozenset[str]) -> bool:
    """True when ``value`` is one of the employee's own contact details (see above)."""
    if not keys:
        return False
    if "@" in value:
        return value.casefold() in keys
    digits = digits_only(value)
    return digits in keys or (len(digits) >= 9 and ("tail:" + digits[-9:]) in keys)


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def clamp(score: float) -> float:
    return round(min(1.0, max(0.0, score)), 3)


def make_finding(
    *,
    detector: str,
    version: str,
    category: Category,
    kind: str,
    start: int,
    end: int,
    value: str,
    score: float,
    explanation: str,
) -> Finding:
    """Build a rule-4 finding with the match masked for display."""
    return Finding(
        detector=detector,
        version=version,
        category=category,
        rule="4",
        start=start,
        end=end,
        masked=mask(value),
        score=clamp(score),
        explanation=explanation,
        kind=kind,
    )
