"""Context cues around a candidate in prose: whose data it is, or why it is not data at all.

A weak pattern (a bare digit run, a date, a street name) is only personal data when the
words around it say so: "the customer's", "her", "patient", "my card". The same digits after
"score", "won", "model", "part no" or "order" are a result or a product number and stay
quiet. The functions take lower-cased text and return small score adjustments.
"""

from __future__ import annotations

import re

# Someone other than the writer: a customer, a colleague, a named or described person.
OWNER = re.compile(
    r"\b(?:customers?|custs?|clients?|patients?|guests?|users?|members?|callers?|tenants?|"
    r"suppliers?|vendors?|colleagues?|co-?workers?|employees?|staff|new hire|applicants?|"
    r"candidates?|lady|guy|man|woman|kid|son|daughter|wife|husband|mum|mom|dad|"
    r"he|she|his|her|hers|him|they|their|them|mr|mrs|ms|dr)\b|\w's\b"
)
# Words that make a number a result, a product, a place in a building or a money amount.
QUIET = re.compile(
    r"\b(?:scores?|scored|won|win|beat|lost|lose|halftime|half-time|final|points?|goals?|"
    r"sets?|innings|laps?|model|part|sku|items?|orders?|invoices?|tickets?|tracking|isbn|"
    r"versions?|v|builds?|flights?|rooms?|bus|route|zip|postal|promo|coupon|voucher|"
    r"ticker|stock|revenue|units|signups|case|ref|reference|serial no|batch|lot|"
    r"temperature|km|miles|steps)\b[^\w]*(?:number|no\.?|#|num)?[^\w]*$"
)
_SENTENCE_END = re.compile(r"[.!?\n]\s")


def sentence_around(lower: str, start: int, end: int, reach: int = 80) -> str:
    """The lower-cased sentence holding ``start:end``, at most ``reach`` characters each way."""
    left = lower[max(0, start - reach) : start]
    cut = [m.end() for m in _SENTENCE_END.finditer(left)]
    if cut:
        left = left[cut[-1] :]
    right = lower[end : end + reach]
    m = _SENTENCE_END.search(right)
    if m:
        right = right[: m.start()]
    return left + " " + right


def owned(lower: str, start: int, end: int) -> bool:
    """True when the sentence says the value belongs to someone other than the writer."""
    return OWNER.search(sentence_around(lower, start, end)) is not None


def quiet(lower: str, start: int) -> bool:
    """True when the words just before ``start`` make the number a score or a product id."""
    return QUIET.search(lower[max(0, start - 24) : start]) is not None
