"""An obfuscation-tolerant lexicon matcher for slurs, insults, profanity and threats.

People dodge word filters with leetspeak (``1d10t``), repeated letters (``iiidiooot``),
letters split by spaces or symbols (``i d i o t``, ``f.u.c.k``) and masks (``st*pid``).
The matcher rewrites each whitespace token into a canonical word (lower case, leetspeak
mapped, inner symbols dropped, runs of one letter collapsed) while remembering where it
came from, so a hit is reported with the exact span of the original text.

Terms match whole canonical words only (so "class" never hits "ass"), plus a plural in
-s/-es; a term written with a trailing ``*`` also matches any ending ("idiot*" hits
"idiotic"). Lexicon files are plain text, one term per line, ``#`` starts a comment; the
file name (``insults.txt``) names the kind of every term in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from classifiers.base import CACHE_ENTRIES
from classifiers.lexicon_gate import TokenGate

# Characters people substitute for letters. Only mapped inside a token that also holds a real
# letter, so numbers ("2024", "$5") are never read as words.
_LEET = {
    "0": "o",
    "1": "i",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "8": "b",
    "9": "g",
    "@": "a",
    "$": "s",
    "!": "i",
    "|": "i",
    "+": "t",
}
# Symbols people insert between letters ("f.u.c.k", "id-iot"): dropped inside a token.
_JOINERS = frozenset(".-_'’~^`,:;/\\")
# A masked letter ("st*pid", "f**k"): matches any one letter.
WILDCARD = "*"
_MASKS = frozenset("*#%")
_STRIP_LEAD = "\"'“‘([{<"
_STRIP_TRAIL = "\"'”’)]}>.,!?;:…"
_REPEATS = re.compile(r"(.)\1+")
_RUN = re.compile(r"(.)\1*")
# The kinds shipped in config/lexicons; unknown kinds get the insult score.
DEFAULT_KIND_SCORES: Mapping[str, float] = {
    "slurs": 0.95,
    "threats": 0.9,
    "hateful": 0.9,
    "insults": 0.8,
    "profanity": 0.55,
}


@dataclass(frozen=True)
class LexiconHit:
    """One matched term: the original span, the lexicon term and its kind."""

    start: int
    end: int
    term: str
    kind: str


class _Word(NamedTuple):
    # A tuple, not a frozen dataclass: built for every word of every post, and cheaper.
    canon: str  # canonical letters, repeats collapsed; may hold WILDCARD
    runs: tuple[int, ...]  # how often each letter of ``canon`` was repeated
    start: int
    end: int


# (term as written, kind, run lengths of the term's letters)
_Entry = tuple[str, str, tuple[int, ...]]

# What a token is on its own: no word at all (a mention, a link, a number), a plain word, a
# term, or the first word of a phrase. (Whether it is one letter is kept beside: "i" is one
# and starts phrases.)
_NO_WORD, _PLAIN, _TERM, _PHRASE = range(4)


class _TokenInfo(NamedTuple):
    flag: int
    entry: _Entry | None  # the term the token matches alone
    lead: int  # where its word starts in the token (after quotes, "#")
    size: int  # the word's length
    canon: str  # its canonical letters
    letter: bool  # a single letter, whatever else it is ("i" also starts phrases)


_NOTHING = _TokenInfo(_NO_WORD, None, 0, 0, "", False)


def squeeze(word: str) -> str:
    """Collapse runs of the same letter: "iiidiooot" -> "idiot" (also applied to terms)."""
    return _REPEATS.sub(r"\1", word)


def _runs(word: str) -> tuple[str, tuple[int, ...]]:
    """The squeezed word and the length of each run: "assess" -> ("ases", (1, 2, 1, 2))."""
    return squeeze(word), tuple(m.end() - m.start() for m in _RUN.finditer(word))


def _covers(word_runs: tuple[int, ...], term_runs: tuple[int, ...]) -> bool:
    """Same letter counts as the term, or a deliberate stretch of three or more.

    "asss" and "iiidiooot" hit; "as" never hits "ass" and "assess" never hits "asses".
    """
    return all(w == t or w >= max(t, 3) for w, t in zip(word_runs, term_runs, strict=False))


def _canonical_token(token: str) -> str:
    """Canonical letters of one token core; "" when it holds no letter at all."""
    if not any(c.isalpha() for c in token):
        return ""
    out: list[str] = []
    for ch in token:
        low = ch.lower()
        if low.isalpha():
            out.append(low[0])
        elif low in _LEET:
            out.append(_LEET[low])
        elif low in _MASKS:
            out.append(WILDCARD)
        elif low in _JOINERS:
            continue
        else:
            # Anything else (emoji, other symbols) ends nothing and adds nothing.
            continue
    return "".join(out)


_TOKEN_CACHE: dict[str, tuple[int, int, str, tuple[int, ...]] | None] = {}


def _token_word(tok: str) -> tuple[int, int, str, tuple[int, ...]] | None:
    """(offset of the core, length of the core, canonical letters, runs) of one token."""
    if tok in _TOKEN_CACHE:
        return _TOKEN_CACHE[tok]
    result = None
    mention = tok.startswith("@") and len(tok) > 1 and tok[1:].replace("_", "").isalnum()
    if not mention and not tok.lower().startswith(("http://", "https://", "www.")):
        lead = len(tok) - len(tok.lstrip(_STRIP_LEAD + "#"))
        core = tok[lead:].rstrip(_STRIP_TRAIL)
        canon = _canonical_token(core) if core else ""
        if canon:
            result = (lead, len(core), *_runs(canon))
    if len(_TOKEN_CACHE) > CACHE_ENTRIES:
        _TOKEN_CACHE.clear()  # bound memory on a long-running service
    _TOKEN_CACHE[tok] = result
    return result


def canonical_words(text: str) -> list[_Word]:
    """Split ``text`` into canonical words with their original spans.

    Mentions (``@name``) and links are skipped: handles are not wording. Runs of three or
    more one-letter tokens are joined ("i d i o t" -> "idiot").
    """
    words: list[_Word] = []
    end = 0
    for token in text.split():  # the runs of non-space characters (what \S+ finds)
        at = text.find(token, end)
        end = at + len(token)
        found = _token_word(token)
        if found is not None:
            lead, size, canon, runs = found
            start = at + lead
            words.append(_Word(canon, runs, start, start + size))
    return _join_spelled_out(words)


def _join_spelled_out(words: list[_Word]) -> list[_Word]:
    """Join runs of >= 3 one-letter words, the "i d i o t" trick."""
    out: list[_Word] = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and len(words[j].canon) == 1 and words[j].runs == (1,):
            j += 1
        if j - i >= 3:
            run = words[i:j]
            canon, runs = _runs("".join(w.canon for w in run))
            out.append(_Word(canon, runs, run[0].start, run[-1].end))
            i = j
        else:
            out.append(words[i])
            i += 1
    return out


class Lexicon:
    """Terms by kind, compiled for one pass over a text's canonical words."""

    def __init__(self, terms_by_kind: Mapping[str, Iterable[str]]) -> None:
        # canonical term (words joined by one space) -> entry
        self._exact: dict[str, _Entry] = {}
        self._prefix: dict[str, _Entry] = {}
        self._max_words = 1
        self.terms_by_kind: dict[str, list[str]] = {}
        for kind, terms in terms_by_kind.items():
            kept = self.terms_by_kind.setdefault(kind, [])
            for raw in terms:
                term = raw.strip().lower()
                if not term or term.startswith("#"):
                    continue
                kept.append(term)
                is_prefix = term.endswith("*")
                parts = [_runs(_canonical_token(p)) for p in term.rstrip("*").split()]
                if not all(canon for canon, _ in parts):
                    continue
                key = " ".join(canon for canon, _ in parts)
                runs = tuple(r for _, rs in parts for r in rs)
                self._max_words = max(self._max_words, len(parts))
                table = self._prefix if is_prefix else self._exact
                table.setdefault(key, (term.rstrip("*"), kind, runs))
        self._prefix_lengths = sorted({len(k) for k in self._prefix}, reverse=True)
        # Phrases are only tried where a word that starts one is followed by a word that can
        # come second in one of them: most words start none.
        second: dict[str, set[str]] = {}
        for key in (*self._exact, *self._prefix):
            if " " in key:
                first, rest = key.split(" ", 1)
                second.setdefault(first, set()).add(rest.split(" ", 1)[0])
        self._phrase_starts = frozenset(second)
        self._phrase_second = {k: frozenset(v) for k, v in second.items()}
        self._word_cache: dict[tuple[str, tuple[int, ...]], _Entry | None] = {}
        # What each raw token is on its own (see ``_TokenInfo``), cached: tokens repeat.
        self._tokens: dict[str, _TokenInfo] = {}

    @classmethod
    def from_dir(cls, directory: str | Path) -> Lexicon:
        """Load every ``*.txt`` in ``directory``; raises FileNotFoundError when it is absent."""
        path = Path(directory)
        if not path.is_dir():
            raise FileNotFoundError(f"lexicon directory not found: {path}")
        terms: dict[str, list[str]] = {}
        for file in sorted(path.glob("*.txt")):
            lines = file.read_text(encoding="utf-8").splitlines()
            terms[file.stem] = [ln.split("#", 1)[0].strip() for ln in lines]
        return cls(terms)

    def __len__(self) -> int:
        return len(self._exact) + len(self._prefix)

    def _get(self, table: dict[str, _Entry], key: str, runs: tuple[int, ...]) -> _Entry | None:
        entry = table.get(key)
        return entry if entry is not None and _covers(runs, entry[2]) else None

    def _lookup_word(self, word: _Word) -> _Entry | None:
        key = (word.canon, word.runs)
        if key in self._word_cache:
            return self._word_cache[key]
        hit = self._lookup_uncached(word.canon, word.runs)
        if len(self._word_cache) > CACHE_ENTRIES:
            self._word_cache.clear()
        self._word_cache[key] = hit
        return hit

    def _lookup_uncached(self, canon: str, runs: tuple[int, ...]) -> _Entry | None:
        hit = self._get(self._exact, canon, runs)
        # Plurals only for terms of four letters or more: "ass" + "es" would hit "assess".
        if hit is None and canon.endswith("s") and len(canon) >= 5:
            hit = self._get(self._exact, canon[:-1], runs)
            if hit is None and canon.endswith("es"):
                hit = self._get(self._exact, canon[:-2], runs)
        if hit is not None:
            return hit
        for n in self._prefix_lengths:
            if n <= len(canon):
                hit = self._get(self._prefix, canon[:n], runs)
                if hit is not None:
                    return hit
        if WILDCARD in canon:
            return self._lookup_masked(canon)
        return None

    def _lookup_masked(self, canon: str) -> _Entry | None:
        # A mask must hide less than half the word, or "****" would match every 4-letter term.
        letters = sum(c != WILDCARD for c in canon)
        if letters < 2 or letters * 2 < len(canon):
            return None
        pattern = re.compile(re.escape(canon).replace(re.escape(WILDCARD), "[a-z]+") + "$")
        for table in (self._exact, self._prefix):
            for key, hit in table.items():
                if " " not in key and pattern.match(key):
                    return hit
        return None

    def _token_info(self, token: str) -> _TokenInfo:
        info = self._tokens.get(token)
        if info is not None:
            return info
        found = _token_word(token)
        if found is None:
            info = _NOTHING
        else:
            lead, size, canon, runs = found
            entry = self._lookup_word(_Word(canon, runs, 0, 0))
            if canon in self._phrase_starts:
                flag = _PHRASE
            elif entry is not None:
                flag = _TERM
            else:
                flag = _PLAIN
            letter = len(canon) == 1 and runs == (1,)
            info = _TokenInfo(flag, entry, lead, size, canon, letter)
        if len(self._tokens) > CACHE_ENTRIES:
            self._tokens.clear()  # bound memory on a long-running service
        self._tokens[token] = info
        return info

    def token_gate(self, token: str) -> TokenGate:
        """What ``find`` needs to know of one whitespace token to tell, with ``may_hit``,
        whether a text can hold a hit before walking it."""
        info = self._token_info(token)
        word = None if info.flag == _NO_WORD else info.canon
        following = self._phrase_second.get(info.canon) if info.flag == _PHRASE else None
        return TokenGate(info.entry is not None, info.letter, word, following)

    def find(self, text: str) -> list[LexiconHit]:
        """Every term found in ``text``, longest phrase first at each position, no overlaps."""
        # Most posts hold no phrase and no spelled-out word: their hits are their tokens' own,
        # cached per token. Only the others are walked word by word.
        hits: list[LexiconHit] = []
        letters = 0
        known = self._tokens
        after: frozenset[str] | None = None  # words that would continue a phrase here
        end = 0
        # str.split() cuts where \S+ does, several times faster than re.finditer.
        for token in text.split():
            at = text.find(token, end)
            end = at + len(token)
            info = known.get(token) or self._token_info(token)
            flag = info.flag
            if flag == _NO_WORD:
                continue  # mentions and links are not words: a phrase runs across them
            if after is not None and info.canon in after:
                return self.walk(canonical_words(text))
            after = self._phrase_second[info.canon] if flag == _PHRASE else None
            if info.letter:
                letters += 1
                if letters >= 3:  # "i d i o t": three letters in a row may spell a term
                    return self.walk(canonical_words(text))
            else:
                letters = 0
            if info.entry is not None:
                start = at + info.lead
                hits.append(LexiconHit(start, start + info.size, *info.entry[:2]))
        return hits

    def walk(self, words: list[_Word]) -> list[LexiconHit]:
        """The terms among canonical words, trying phrases before single words."""
        hits: list[LexiconHit] = []
        i = 0
        while i < len(words):
            matched = False
            longest = min(self._max_words, len(words) - i)
            # A phrase is tried only where its first two words stand: most words start none.
            following = self._phrase_second.get(words[i].canon)
            if following is None or longest < 2 or words[i + 1].canon not in following:
                longest = 1
            for n in range(longest, 1, -1):
                group = words[i : i + n]
                key = " ".join(w.canon for w in group)
                runs = tuple(r for w in group for r in w.runs)
                hit = self._get(self._exact, key, runs) or self._get(self._prefix, key, runs)
                if hit is not None:
                    hits.append(LexiconHit(group[0].start, group[-1].end, hit[0], hit[1]))
                    i += n
                    matched = True
                    break
            if matched:
                continue
            one = self._lookup_word(words[i])
            if one is not None:
                hits.append(LexiconHit(words[i].start, words[i].end, one[0], one[1]))
            i += 1
        return hits


def default_lexicon_dir() -> Path | None:
    """Where the shipped lexicons are: ``config/lexicons`` in a checkout, or the copy the wheel
    carries as ``monitor/_config/lexicons`` (found by path: this package never imports
    ``monitor``). None when neither exists."""
    root = Path(__file__).resolve().parent.parent
    for candidate in (root / "config" / "lexicons", root / "monitor" / "_config" / "lexicons"):
        if candidate.is_dir():
            return candidate
    return None
