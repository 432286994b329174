"""The obfuscation-tolerant lexicon: (text, expected terms) tables, spans on the original."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers.lexicon import Lexicon, canonical_words, default_lexicon_dir
from classifiers.lexicon_gate import may_hit

LEX = Lexicon({"insults": ["idiot*", "stupid*", "moron"], "profanity": ["ass", "fuck*"],
               "threats": ["kill yourself"]})  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("you are an idiot", ["idiot"]),
        ("y0u 1d10t", ["idiot"]),
        ("i d i o t", ["idiot"]),
        ("iiidiooot", ["idiot"]),
        ("st*pid", ["stupid"]),
        ("f**k", ["fuck"]),
        ("f.u.c.k off", ["fuck"]),
        ("what a M0R0N!", ["moron"]),
        ("#idiots", ["idiot"]),
        ("idiotic plan", ["idiot"]),
        ("go kill   yourself", ["kill yourself"]),
        ("asss", ["ass"]),
        # must not match
        ("as I said, assess the class", []),
        ("this bug is killing me", []),
        ("@idiot_bot is a handle, not a word", []),
        ("****", []),
        ("2024 was good", []),
    ],
)
def test_find_terms(text: str, expected: list[str]) -> None:
    assert [h.term for h in LEX.find(text)] == expected


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("you are a y0u 1d10t.", "1d10t"),
        ("well, i d i o t!", "i d i o t"),
        ('"st*pid"', "st*pid"),
        # tokens cut at any space character, including ones str.split and \S+ share
        ("moron\u2003moron\x1cidiot", "idiot"),
        ("ok\u00a0\u00a0 i\u2028d i o t", "i\u2028d i o t"),
        ("idiotic\x85 ok idiot", "idiotic"),
    ],
)
def test_span_is_the_original_text(text: str, span: str) -> None:
    hits = LEX.find(text)
    assert span in [text[h.start : h.end] for h in hits]
    assert all(text[h.start : h.end].strip() == text[h.start : h.end] for h in hits)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("t i t", ["tit"]),  # "i" starts a phrase and is a letter: both count
        ("i hate you", ["i hate you"]),
        ("i @user hate you", ["i hate you"]),  # a mention is not a word
        ("i hate them", []),
        ("i really hate you, tit", ["tit"]),
    ],
)
def test_phrases_and_letters_together(text: str, expected: list[str]) -> None:
    lexicon = Lexicon({"insults": ["tit", "i hate you"]})
    assert [h.term for h in lexicon.find(text)] == expected
    assert lexicon.find(text) == lexicon.walk(canonical_words(text))


def test_shipped_lexicons_load_with_kinds() -> None:
    directory = default_lexicon_dir()
    assert directory is not None
    lexicon = Lexicon.from_dir(directory)
    assert {"insults", "slurs", "profanity", "threats"} <= set(lexicon.terms_by_kind)
    assert [h.kind for h in lexicon.find("you pathetic 1d10t")] == ["insults", "insults"]


def test_missing_directory_raises(tmp_path: object) -> None:
    with pytest.raises(FileNotFoundError):
        Lexicon.from_dir("/nonexistent/lexicons")


def test_token_shortcut_finds_what_the_word_walk_finds(shared_data: Path) -> None:
    # ``find`` answers most posts from cached per-token results and walks word by word only
    # when a phrase or a spelled-out word may be in play; it must agree with the plain walk
    # over ``canonical_words`` on every real tweet.
    directory = default_lexicon_dir()
    assert directory is not None
    lexicon = Lexicon.from_dir(directory)
    texts = [
        line.partition("\t")[2]
        for split in ("hate/test.tsv", "offensive/test.tsv")
        for line in (shared_data / "tweeteval" / split).read_text(encoding="utf-8").splitlines()[1:]
    ]
    texts += ["go kill   yourself now", "you are a y0u 1d10t.", "well, i d i o t!", "shut up"]
    texts += ["a b c d", "i, a @x d i o t", "a @someone b c"]  # letters across mentions
    texts += ["go @bob kill yourself", "shut !!! up", "you @x pathetic idiot"]  # and phrases
    with_hits = skipped = phrase_starts = 0
    for text in texts:
        found = lexicon.find(text)
        assert found == lexicon.walk(canonical_words(text)), text
        with_hits += bool(found)
        # The wording model skips ``find`` where ``may_hit`` says no: it must never be wrong.
        gates = [lexicon.token_gate(token) for token in text.split()]
        if not may_hit(gates):
            assert found == [], text
            skipped += 1
            phrase_starts += any(g.phrase_next for g in gates)
    assert with_hits > 500  # the comparison covered many posts with hits, not only clean ones
    assert skipped > 1000
    assert phrase_starts > 300  # "you", "get", "go" start phrases; most posts go on otherwise
    assert lexicon.find("you a s s")  # three letters in a row can spell a term
