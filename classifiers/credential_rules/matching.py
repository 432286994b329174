"""Finding the table's rows in a text: one Aho-Corasick pass over the rows' literal prefixes,
each prefixed row's pattern run only where its prefix occurs, the others in one shared
pattern; then each row's check, the placeholder filter and the entropy floor.
"""

from __future__ import annotations

import re

import ahocorasick

from classifiers.credential_rules.checks import CHECKS
from classifiers.credential_rules.rule import TEST_KEY_SCORE, RuleMatch
from classifiers.credential_rules.table import RULES
from classifiers.leak_text import looks_like_placeholder, shannon_entropy

_BOUNDED = r"(?<![\w\-])(?:{})(?![\w\-])"


def _branches(pattern: str) -> list[str]:
    """The top-level alternatives of ``pattern``."""
    out, depth, start, i = [], 0, 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i = pattern.index("]", i + 2)
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    out.append(pattern[start:])
    return out


def literal_prefixes(pattern: str) -> list[str]:
    """For each top-level alternative, the literal characters its matches start with; an
    empty list when some alternative has fewer than two."""
    prefixes = []
    for branch in _branches(pattern):
        out, i = "", 0
        while i < len(branch):
            c = branch[i]
            if c == "\\" and i + 1 < len(branch) and not branch[i + 1].isalnum():
                out += branch[i + 1]
                i += 2
                continue
            if c in ".^$*+?{}[]()|\\":
                break
            out += c
            i += 1
        if i < len(branch) and branch[i] in "*?{":
            out = out[:-1]  # the last literal is optional or repeated
        prefixes.append(out)
    return [] if any(len(p) < 2 for p in prefixes) else prefixes


# Rules whose every match starts with a literal (or holds one of its ``gate`` pieces) run only
# when it is in the text (one Aho-Corasick pass finds which); the others share one pattern.
_PREFIXED: dict[str, list[int]] = {}
_UNPREFIXED: list[int] = []
for _i, _r in enumerate(RULES):
    _ps = literal_prefixes(_r.pattern) or list(_r.gate)
    for _p in _ps:
        _PREFIXED.setdefault(_p, []).append(_i)
    if not _ps:
        _UNPREFIXED.append(_i)
_PREFIX_AUTOMATON = ahocorasick.Automaton()
for _p, _ids in _PREFIXED.items():
    _PREFIX_AUTOMATON.add_word(_p, tuple(_ids))
_PREFIX_AUTOMATON.make_automaton()
_SINGLE = {
    i: re.compile(_BOUNDED.format(RULES[i].pattern)) for ids in _PREFIXED.values() for i in ids
}
_COMBINED = re.compile(
    _BOUNDED.format("|".join(f"(?P<r{i}>{RULES[i].pattern})" for i in _UNPREFIXED))
)
_TESTS = {i: re.compile(r.test) for i, r in enumerate(RULES) if r.test}


def _matches(text: str) -> list[tuple[int, re.Match[str]]]:
    found = [(int(str(m.lastgroup)[1:]), m) for m in _COMBINED.finditer(text)]
    wanted = sorted({i for _, ids in _PREFIX_AUTOMATON.iter(text) for i in ids})
    for i in wanted:
        found.extend((i, m) for m in _SINGLE[i].finditer(text))
    found.sort(key=lambda im: (im[1].start(), im[0]))
    return found


# Below this many bits per character a value is too regular to be random (``0000...``).
MIN_ENTROPY = 3.0


def find(text: str) -> list[RuleMatch]:
    """Every table match in ``text`` that passes its row's check and is not a placeholder.

    A value that a check confirmed (a valid checksum) skips the entropy floor; the others
    must reach :data:`MIN_ENTROPY`.
    """
    out = []
    for index, m in _matches(text):
        rule = RULES[index]
        value = m.group(0)
        if looks_like_placeholder(value):
            continue
        checked = False
        if rule.check:
            verdict = CHECKS[rule.check](value)
            if verdict is False:
                continue
            checked = verdict is True
        if not checked and shannon_entropy(value) < MIN_ENTROPY:
            continue
        score = rule.score + (0.08 if checked else 0.0)
        test = _TESTS.get(index)
        if test is not None and test.search(value):
            score = TEST_KEY_SCORE
        out.append(RuleMatch(rule, m.start(), m.end(), value, min(score, 0.98), checked))
    return out
