"""Run a regular expression only on texts that hold a literal every match of it needs.

Python's ``re`` tries an alternation of cue words at every position of a text: a few
microseconds a post for each cue family, and nearly every post holds no cue at all. A
substring test (``in``) is many times cheaper. :func:`needed_literals` reads a compiled
pattern and returns strings one of which every match must contain, derived from the pattern
itself so they cannot drift from it; :class:`LiteralGate` runs the pattern only when one of
them is in the text. Its answers are exactly the pattern's: when no needed string is
present, the pattern cannot match.

The test is one Aho-Corasick pass (:class:`classifiers.keyword_gate.Gate`), so its cost
hardly grows with the number of literals.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

from classifiers.keyword_gate import Gate

# A set of strings grows by cross products ("pa?s{0,2}w" is 6 strings): past this many it is
# no longer worth expanding.
_MAX_STRINGS = 64
# Past this many literals the automaton grows large for little gain: the gate stands aside.
MAX_LITERALS = 256
# Optional or repeated parts are expanded up to this many repetitions ("s{0,2}").
_MAX_REPEAT = 4

_ZERO_WIDTH = (sre.AT, sre.ASSERT, sre.ASSERT_NOT)
_Item = tuple[Any, Any]


def _product(left: frozenset[str], right: frozenset[str]) -> frozenset[str] | None:
    if len(left) * len(right) > _MAX_STRINGS:
        return None
    return frozenset(a + b for a in left for b in right)


def _union(
    branches: Sequence[Sequence[_Item]],
    strings_of: Callable[[Sequence[_Item]], frozenset[str] | None],
) -> frozenset[str] | None:
    """``strings_of`` each branch of an alternation, together; None when one branch gives None."""
    out: set[str] = set()
    for branch in branches:
        strings = strings_of(branch)
        if strings is None:
            return None
        out |= strings
    return frozenset(out)


def _exact(items: Sequence[_Item]) -> frozenset[str] | None:
    """Every string the sequence ``items`` can match, when that is a small finite set."""
    out: frozenset[str] | None = frozenset([""])
    for op, av in items:
        one = _exact_item(op, av)
        if one is None or out is None:
            return None
        out = _product(out, one)
    return out


def _exact_item(op: Any, av: Any) -> frozenset[str] | None:
    if op is sre.LITERAL:
        return frozenset([chr(av)])
    if op is sre.IN:
        if all(o is sre.LITERAL for o, _ in av) and len(av) <= 8:
            return frozenset(chr(v) for _, v in av)
        return None  # a range, a category or a negated class
    if op is sre.BRANCH:
        either = _union(av[1], _exact)
        return either if either is not None and len(either) <= _MAX_STRINGS else None
    if op is sre.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        return None if add_flags & re.IGNORECASE else _exact(sub)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
        low, high, sub = av
        if high > _MAX_REPEAT:
            return None
        body = _exact(sub)
        if body is None:
            return None
        out: set[str] = set()
        power: frozenset[str] | None = frozenset([""])
        for count in range(high + 1):
            if power is None:
                return None
            if count >= low:
                out |= power
            power = _product(power, body) if count < high else power
        return frozenset(out) if len(out) <= _MAX_STRINGS else None
    if op in _ZERO_WIDTH:
        return frozenset([""])  # a boundary or look-around adds no characters to the match
    return None


def _needed_item(op: Any, av: Any) -> frozenset[str] | None:
    """Strings one of which every match of a single non-exact item contains."""
    if op is sre.BRANCH:
        return _union(av[1], _needed)
    if op is sre.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        return None if add_flags & re.IGNORECASE else _needed(sub)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[0] >= 1:
        return _needed(av[2])
    return None


def _better(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """The more selective of two needed sets: longer shortest string, then fewer strings."""
    if a is None or not min(map(len, a), default=0):
        return b
    if b is None or not min(map(len, b), default=0):
        return a
    return a if (min(map(len, a)), -len(a)) >= (min(map(len, b)), -len(b)) else b


def _needed(items: Sequence[_Item]) -> frozenset[str] | None:
    """Strings one of which every match of the sequence ``items`` contains, or None."""
    best: frozenset[str] | None = None
    run = frozenset([""])  # every string the consecutive exact items so far can match
    for op, av in items:
        one = _exact_item(op, av)
        if one is None:
            best = _better(best, run)
            best = _better(best, _needed_item(op, av))
            run = frozenset([""])
            continue
        grown = _product(run, one)
        if grown is None:  # too many strings: what the run has so far still counts
            best = _better(best, run)
            grown = one
        run = grown
    best = _better(best, run)
    if best is None or not min(map(len, best), default=0):
        return None
    return best


def needed_literals(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Strings one of which every match of ``pattern`` contains, or None when none is known.

    Case-insensitive patterns (and case-insensitive groups) give None: their literals would
    have to be tried in every case.
    """
    if pattern.flags & re.IGNORECASE:
        return None
    try:
        needed = _needed(_parser.parse(pattern.pattern, pattern.flags))
    except (TypeError, ValueError, IndexError, AttributeError, re.error):
        # ``re._parser`` is private: should a later Python change its tree, the pattern
        # simply runs ungated (the detectors' tests notice a gate without literals).
        return None
    if needed is None or len(needed) > MAX_LITERALS:
        return None
    # A literal that holds a shorter one is redundant: "passw" is found whenever "pass" is.
    kept = [s for s in needed if not any(o != s and o in s for o in needed)]
    return tuple(sorted(kept))


class LiteralGate:
    """``pattern``'s ``search`` and ``finditer``, skipped on texts without a needed literal."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.literals = needed_literals(pattern)
        self._gate = Gate(self.literals) if self.literals is not None else None

    def may_match(self, text: str) -> bool:
        """False only when the pattern cannot match ``text``."""
        return self._gate is None or self._gate(text)

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text) if self.may_match(text) else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.pattern.finditer(text) if self.may_match(text) else iter(())
