"""The literal gate answers exactly what its pattern answers, only faster."""

from __future__ import annotations

import random
import re

import pytest

from classifiers import commercial, credentials
from classifiers.literal_gate import LiteralGate, needed_literals

# Patterns with the constructs the derivation walks: alternations (nested, in groups, in
# look-arounds), optional and bounded repeats, small classes, boundaries, lazy repeats, a
# case-insensitive group, and parts it must give up on (ranges, unbounded repeats).
TRICKY = [
    r"pa?s{0,2}w|pass|pw|\bpin\b",
    r"(?<![\w])(?:confidential|internal(?:[ \-]use)? only|under (?:an? )?nda)(?![\w])",
    r"(?:ab|cd){1,3}x",
    r"q[1-4] results|quarterly (?:results|numbers)",
    r"foo(?:bar)?|(?:baz)+qux",
    r"x*?yz|w",
    r"(?i:secret) key|token",
    r"(?:a|b)(?:c|d)(?:e|f)(?:g|h)(?:i|j)(?:k|l)(?:m|n)zz",
    r"\d{3}-\d{4}",
    r"(?<=my )(?:card|pin)\b",
    r"(?:we(?:'re| are| will|'ll)?|our|us)(?![\w])",
    r"a.b|ccc",
    r"(?!nope)yes|no",
    r"[xy]{2}|z",
]


def _texts(pattern: str, rng: random.Random, count: int) -> list[str]:
    """Random texts built from the pattern's own words, their pieces, and noise."""
    words = re.findall(r"[a-z']+", pattern) or ["a"]
    pieces = words + [w[: rng.randint(1, max(1, len(w)))] for w in words]
    noise = [" ", "  ", "-", ".", "'", "\n", "x", "1", "2024", "É", "ß", "İ", "_", "my ", "@"]
    out = []
    for _ in range(count):
        size = rng.randint(0, 9)
        parts = [rng.choice(pieces if rng.random() < 0.6 else noise) for _ in range(size)]
        out.append("".join(parts))
    return out


def _spans(matches: object) -> list[tuple[int, int, tuple[str | None, ...]]]:
    return [(m.start(), m.end(), m.groups()) for m in matches]  # type: ignore[attr-defined]


@pytest.mark.parametrize("source", TRICKY)
def test_the_gate_answers_what_the_pattern_answers(source: str) -> None:
    rng = random.Random(source)
    pattern = re.compile(source)
    gate = LiteralGate(pattern)
    for text in _texts(source, rng, 4000):
        direct = pattern.search(text)
        gated = gate.search(text)
        assert (direct and direct.span()) == (gated and gated.span()), (source, text)
        assert _spans(gate.finditer(text)) == _spans(pattern.finditer(text)), (source, text)


def test_every_match_holds_a_needed_literal() -> None:
    """Stronger than the answers agreeing: each match itself contains one of the literals."""
    rng = random.Random(7)
    for source in TRICKY:
        pattern = re.compile(source)
        literals = needed_literals(pattern)
        if literals is None:
            continue
        for text in _texts(source, rng, 2000):
            for m in pattern.finditer(text):
                assert any(lit in m.group(0) for lit in literals), (source, text, m)


def test_needed_literals_of_known_patterns() -> None:
    assert needed_literals(re.compile(r"pa?s{0,2}w|token")) == (
        "passw", "pasw", "paw", "pssw", "psw", "pw", "token",
    )  # fmt: skip
    # look-arounds and boundaries add nothing; the alternation inside the group is needed
    assert needed_literals(re.compile(r"(?<![\w])(?:nda|non-?disclosure)\b")) == (
        "nda", "non-disclosure", "nondisclosure",
    )  # fmt: skip
    # the longest exact stretch of a sequence is chosen
    assert needed_literals(re.compile(r"q[1-4] results")) == (" results",)
    # a repeat of at least one brings its body's literals
    assert needed_literals(re.compile(r"(?:xyz)+\d")) == ("xyz",)


@pytest.mark.parametrize(
    "source",
    [
        r"\S{20}",  # no literal at all
        r"abc|\d+",  # one branch needs none
        r"(?:abc)?\d",  # optional
        r"a*",  # may match the empty string
        r"[a-z]{3}",  # a range
    ],
)
def test_patterns_without_a_needed_literal_always_run(source: str) -> None:
    pattern = re.compile(source)
    gate = LiteralGate(pattern)
    assert needed_literals(pattern) is None
    assert gate.may_match("")
    assert gate.may_match("nothing in common")


def test_case_insensitive_patterns_are_never_gated() -> None:
    assert needed_literals(re.compile("secret", re.IGNORECASE)) is None
    assert needed_literals(re.compile("(?i:secret)")) is None
    gate = LiteralGate(re.compile("secret", re.IGNORECASE))
    assert gate.search("SECRET") is not None


@pytest.mark.parametrize(
    "gate",
    [
        credentials._ANCHOR,
        credentials._KEYWORD_HINT,
        credentials._PROSE_HINT,
        commercial._SECRECY,
        commercial._SUBJECT,
        commercial._INSIDER,
        commercial._FUTURE,
    ],
    ids=["anchor", "keyword", "prose", "secrecy", "subject", "insider", "future"],
)
def test_the_detectors_gates_are_active_and_exact(gate: LiteralGate) -> None:
    """Each gate the detectors use has literals (else it saves nothing) and agrees with its
    pattern on texts made of that pattern's own words."""
    assert gate.literals, gate.pattern.pattern
    rng = random.Random(gate.pattern.pattern)
    for text in _texts(gate.pattern.pattern, rng, 3000):
        direct = gate.pattern.search(text)
        gated = gate.search(text)
        assert (direct and direct.span()) == (gated and gated.span()), text


def test_an_unreadable_parse_tree_leaves_the_pattern_ungated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``re._parser`` is private: if its tree ever changes shape, patterns run ungated."""
    from classifiers import literal_gate

    pattern = re.compile("token|secret")
    monkeypatch.setattr(literal_gate._parser, "parse", lambda *a: [(literal_gate.sre.BRANCH, 1)])
    gate = LiteralGate(pattern)
    monkeypatch.undo()
    assert gate.literals is None
    assert gate.search("a token") is not None
