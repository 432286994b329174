"""A fast guess of a post's language, for the pipeline's wording gate.

Full detectors (langdetect, ...) cost milliseconds a post; this costs a few microseconds: the
script of the letters decides non-Latin languages, and counts of very common function words
decide between Latin-script ones. It answers None when it cannot tell (too few words, no
clear winner); the pipeline then assesses the wording, because most short posts are English.
Only the first 300 characters are read: enough to decide, and it bounds the cost.
"""

from __future__ import annotations

import re

_HEAD = 300
_MIN_WORDS = 3
_WORD = re.compile(r"[^\W\d_]+")
# The same words for an ASCII text, several times faster than the pattern: every byte but a
# letter becomes a space, capitals become small letters, and the rest is split on spaces.
_ASCII_WORDS = bytes(
    c + 32 if 65 <= c <= 90 else c if 97 <= c <= 122 else 32 for c in range(256)
)
_NOISE = re.compile(r"(?:https?://|www\.)\S+|[@#]\w+")
# Any letter of a script in _SCRIPTS: most non-ASCII posts only hold emoji or accents.
_NON_LATIN = re.compile("[\u0370-\u03ff\u0400-\u04ff\u0590-\u06ff\u0900-\u097f"
                        "\u0e00-\u0e7f\u3040-\u30ff\uac00-\ud7af\u4e00-\u9fff]")  # fmt: skip

# Distinctive function words per language; words shared by several (e.g. "a", "de", "en")
# are left out so each hit is evidence for one language.
_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "the",
            "and",
            "is",
            "are",
            "was",
            "were",
            "you",
            "your",
            "i",
            "my",
            "it",
            "this",
            "that",
            "to",
            "of",
            "in",
            "for",
            "with",
            "have",
            "has",
            "not",
            "be",
            "on",
            "at",
            "they",
            "we",
            "he",
            "she",
            "what",
            "just",
            "so",
            "but",
            "do",
            "can",
            "will",
            "would",
            "all",
            "me",
            "our",
            "from",
            "if",
            "about",
            "there",
            "their",
            "been",
            "how",
            "when",
            "who",
        ]
    ),
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "und",
            "ist",
            "nicht",
            "ich",
            "du",
            "sie",
            "wir",
            "ein",
            "eine",
            "mit",
            "auf",
            "für",
            "von",
            "zu",
            "den",
            "dem",
            "auch",
            "sich",
            "es",
            "bei",
            "noch",
            "wie",
            "aber",
            "nur",
            "oder",
            "wenn",
            "mein",
            "dein",
            "sind",
            "war",
            "haben",
            "hat",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "la",
            "les",
            "et",
            "est",
            "une",
            "pas",
            "je",
            "tu",
            "il",
            "elle",
            "nous",
            "vous",
            "avec",
            "pour",
            "dans",
            "sur",
            "des",
            "du",
            "ce",
            "cette",
            "qui",
            "que",
            "mais",
            "ou",
            "sont",
            "était",
            "avoir",
            "être",
            "très",
            "mon",
            "ton",
            "aussi",
        ]
    ),
    "es": frozenset(
        [
            "el",
            "los",
            "las",
            "y",
            "es",
            "una",
            "pero",
            "yo",
            "tú",
            "él",
            "ella",
            "nosotros",
            "con",
            "para",
            "por",
            "del",
            "que",
            "muy",
            "está",
            "son",
            "como",
            "más",
            "este",
            "esta",
            "mi",
            "su",
            "también",
            "cuando",
            "ya",
            "hay",
        ]
    ),
    "it": frozenset(
        [
            "il",
            "lo",
            "gli",
            "e",
            "è",
            "una",
            "non",
            "io",
            "tu",
            "lui",
            "lei",
            "noi",
            "voi",
            "con",
            "per",
            "che",
            "ma",
            "sono",
            "della",
            "questo",
            "questa",
            "anche",
            "come",
            "più",
            "molto",
            "ho",
            "hai",
            "ha",
        ]
    ),
    "pt": frozenset(
        [
            "o",
            "os",
            "as",
            "e",
            "é",
            "uma",
            "não",
            "eu",
            "você",
            "ele",
            "ela",
            "nós",
            "com",
            "para",
            "por",
            "que",
            "mas",
            "são",
            "muito",
            "está",
            "este",
            "esta",
            "também",
            "como",
            "mais",
            "meu",
            "minha",
            "isso",
        ]
    ),
    "nl": frozenset(
        [
            "de",
            "het",
            "een",
            "en",
            "is",
            "niet",
            "ik",
            "je",
            "jij",
            "hij",
            "zij",
            "wij",
            "met",
            "voor",
            "van",
            "op",
            "dat",
            "die",
            "maar",
            "ook",
            "zijn",
            "was",
            "heb",
            "heeft",
            "wat",
            "nog",
        ]
    ),
}

# word -> languages it is a function word of, so scoring is one dict lookup per word.
_LANGS_OF: dict[str, tuple[str, ...]] = {}
for _lang, _words in _STOPWORDS.items():
    for _w in _words:
        _LANGS_OF[_w] = (*_LANGS_OF.get(_w, ()), _lang)

# (first code point, last code point, language) for scripts that name one language.
_SCRIPTS: tuple[tuple[int, int, str], ...] = (
    (0x0370, 0x03FF, "el"),
    (0x0400, 0x04FF, "ru"),
    (0x0590, 0x05FF, "he"),
    (0x0600, 0x06FF, "ar"),
    (0x0900, 0x097F, "hi"),
    (0x0E00, 0x0E7F, "th"),
    (0x3040, 0x30FF, "ja"),
    (0xAC00, 0xD7AF, "ko"),
    (0x4E00, 0x9FFF, "zh"),
)


def _script_language(text: str) -> str | None:
    """The language named by the dominant non-Latin script, if letters of one dominate."""
    counts: dict[str, int] = {}
    letters = 0
    for ch in text:
        if not ch.isalpha():
            continue
        letters += 1
        cp = ord(ch)
        if cp < 0x0370:
            continue
        for lo, hi, lang in _SCRIPTS:
            if lo <= cp <= hi:
                counts[lang] = counts.get(lang, 0) + 1
                break
    if not counts or not letters:
        return None
    # Japanese mixes kana with kanji: any kana at all means Japanese, not Chinese.
    if "ja" in counts and counts.get("zh"):
        counts["ja"] += counts.pop("zh")
    lang, n = max(counts.items(), key=lambda kv: kv[1])
    return lang if n * 2 > letters else None


def _letter_runs(head: str) -> list[str]:
    """The lower-cased letter runs of ``head`` (``_WORD`` on ``head.lower()``)."""
    if head.isascii():
        return head.encode("ascii").translate(_ASCII_WORDS).decode("ascii").split()
    return _WORD.findall(head.lower())


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text``'s language, or None when too short or unclear to tell."""
    head = text[:_HEAD]
    if "@" in head or "#" in head or "http" in head or "www." in head:
        head = _NOISE.sub(" ", head)
    if not head.isascii() and _NON_LATIN.search(head):
        script = _script_language(head)
        if script is not None:
            return script
    words = _letter_runs(head)
    if len(words) < _MIN_WORDS:
        return None
    scores: dict[str, int] = {}
    for w in words:
        for lang in _LANGS_OF.get(w, ()):
            scores[lang] = scores.get(lang, 0) + 1
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    best, top = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0
    # One hit in a short post is weak evidence; require a clear margin over the runner-up.
    if top >= 2 and top > second:
        return best
    if top == 1 and second == 0 and len(words) <= 6:
        return best
    return None
