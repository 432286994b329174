"""A fast "does this text contain any of these words?" test (Aho-Corasick, in C).

The leak rules gate their regular expressions on it: most posts contain none of a rule's
cue words, and one automaton pass is cheaper than a regex alternation of many words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import ahocorasick


def words(text: str) -> list[str]:
    """The space-separated words of ``text``: word lists read better written as one string."""
    return text.split()


class Gate:
    """``gate(lower)`` is True when ``lower`` contains one of ``words`` (as substrings)."""

    def __init__(self, words: Iterable[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        for word in words:
            self._automaton.add_word(word, word)
        self._automaton.make_automaton()

    @classmethod
    def of(cls, words: str, *more: str) -> Gate:
        """A gate on the space-separated ``words`` plus ``more`` (which may hold spaces)."""
        return cls([*words.split(), *more])

    def __call__(self, lower: str) -> bool:
        return next(self._automaton.iter(lower), None) is not None

    def hits(self, lower: str) -> list[tuple[int, str]]:
        """(index of the last character, word) of every occurrence, in text order."""
        return list(self._automaton.iter(lower))


class TagGate:
    """One pass for several gates: ``tags(lower)`` is the set of tags whose words occur."""

    def __init__(self, words_by_tag: Mapping[str, Iterable[str]]) -> None:
        self._automaton = ahocorasick.Automaton()
        merged: dict[str, set[str]] = {}
        for tag, words in words_by_tag.items():
            for word in words:
                merged.setdefault(word, set()).add(tag)
        for word, tags in merged.items():
            self._automaton.add_word(word, frozenset(tags))
        self._automaton.make_automaton()

    def tags(self, lower: str) -> dict[str, int]:
        """Tag -> how many occurrences of its words (only tags that occur)."""
        found: dict[str, int] = {}
        for _, tags in self._automaton.iter(lower):
            for tag in tags:
                found[tag] = found.get(tag, 0) + 1
        return found
