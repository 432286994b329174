"""A normalised view of a post for the leak rules, with a map back to the original offsets.

People write numbers and cue words in ways a pattern misses: "four one five, three eight two,
nine one zero four", "four one five, 382 9104", "my pasword", "acount no". The view rewrites
such text once:

* a run of number words and digit groups holding at least one number word ("oh" and "zero"
  included) becomes its digits, with the separators inside the run dropped;
* common typos of cue words are folded to the word (``pasword`` -> ``password``).

Everything else is copied unchanged. ``starts[i]``/``ends[i]`` give, for character ``i`` of
the view, the original characters it came from, so a span found in the view is reported on
the employee's own characters (:meth:`NormalView.original`). Posts with nothing to rewrite
(nearly all) get an identity view without copying.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from classifiers.keyword_gate import Gate

_DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_WORD = r"(?:(?:double|triple)\s+)?(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|\d+)"
# A run: number words or digit groups, separated by spaces, commas, dashes or dots.
_RUN = re.compile(
    r"(?<![\w])" + _WORD + r"(?:(?:\s*[,.\-/]\s*|\s+)" + _WORD + r"){2,}(?![\w])", re.IGNORECASE
)
_TOKEN = re.compile(r"[a-z]+|\d+", re.IGNORECASE)
_NUMBER_WORD = re.compile(r"\b(?:zero|one|two|three|four|five|six|seven|eight|nine)\b")

# Typos of cue words seen in quick posts -> the word the rules look for.
TYPOS: dict[str, str] = {
    "pasword": "password",
    "passowrd": "password",
    "passwrod": "password",
    "pssword": "password",
    "passwrd": "password",
    "paswd": "passwd",
    "pasword's": "password's",
    "acount": "account",
    "accout": "account",
    "accnt": "account",
    "acc no": "account no",
    "acct no": "account no",
    "accont": "account",
    "numbr": "number",
    "nubmer": "number",
    "numer": "number",
    "adress": "address",
    "addy": "address",
    "addr": "address",
    "addres": "address",
    "birthdate": "birth date",
    "brithday": "birthday",
    "verfication": "verification",
    "verificaton": "verification",
    "creditcard": "credit card",
    "socal security": "social security",
}
_TYPO = re.compile(r"\b(?:" + "|".join(re.escape(t) for t in TYPOS) + r")\b", re.IGNORECASE)
_MIN_RUN_DIGITS = 4


@dataclass(frozen=True)
class NormalView:
    """The rewritten text and, per character of it, where it came from."""

    text: str
    starts: tuple[int, ...] = ()
    ends: tuple[int, ...] = ()

    @property
    def identity(self) -> bool:
        return not self.starts

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The original span behind view characters ``start:end``."""
        if self.identity or end <= start:
            return start, end
        return self.starts[start], self.ends[end - 1]


def _run_digits(run: str) -> str | None:
    """The digits of a run when it holds a number word and enough digits, else None."""
    tokens = _TOKEN.findall(run)
    if not any(t.isalpha() for t in tokens):
        return None
    digits, repeat = "", 1
    for t in tokens:
        low = t.lower()
        if low in ("double", "triple"):
            repeat = 2 if low == "double" else 3
            continue
        digit = t if t.isdigit() else _DIGIT_WORDS.get(low, "?")
        digits += digit * repeat
        repeat = 1
    if "?" in digits or len(digits) < _MIN_RUN_DIGITS:
        return None
    return digits


# Number words and typos as substrings; the regexes then check word boundaries.
NUMBER_WORDS = [w for w in _DIGIT_WORDS if len(w) > 2]
_NUMBER_GATE = Gate(NUMBER_WORDS)
_TYPO_GATE = Gate(TYPOS)


def may_rewrite(lower: str, counts: Mapping[str, int] | None = None) -> bool:
    """False when the view of a text with this lower-cased form is surely the text itself:
    no typo of a cue word and fewer than three number words (a run needs three). ``counts``
    may give the "typo" and "number" occurrence counts a caller's gate already found."""
    if counts is not None:
        return "typo" in counts or counts.get("number", 0) >= 3
    return _TYPO_GATE(lower) or len(_NUMBER_GATE.hits(lower)) >= 3


def _needs_view(lower: str) -> bool:
    return may_rewrite(lower) and bool(_NUMBER_WORD.search(lower) or _TYPO.search(lower))


def normal_view(text: str) -> NormalView:
    """The view of ``text``. Not cached: a detector keeps no post text (see
    ``classifiers.base.Detector``); the few posts that need a view pay for it twice."""
    if not _needs_view(text.lower()):
        return NormalView(text)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), non-overlapping
    for m in _RUN.finditer(text):
        digits = _run_digits(m.group(0))
        if digits is not None:
            edits.append((m.start(), m.end(), digits))
    for m in _TYPO.finditer(text):
        if not any(s < m.end() and m.start() < e for s, e, _ in edits):
            word = TYPOS[m.group(0).lower()]
            if m.group(0)[:1].isupper():
                word = word[:1].upper() + word[1:]
            edits.append((m.start(), m.end(), word))
    if not edits:
        return NormalView(text)
    edits.sort()
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for start, end, replacement in edits:
        out.append(text[pos:start])
        starts.extend(range(pos, start))
        ends.extend(range(pos + 1, start + 1))
        # Each replacement character points at the whole replaced stretch: a span starting
        # or ending inside it is widened to the employee's full words.
        out.append(replacement)
        starts.extend([start] * len(replacement))
        ends.extend([end] * len(replacement))
        pos = end
    out.append(text[pos:])
    starts.extend(range(pos, len(text)))
    ends.extend(range(pos + 1, len(text) + 1))
    return NormalView("".join(out), tuple(starts), tuple(ends))
