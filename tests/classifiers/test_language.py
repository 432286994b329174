"""The fast language guess: (text, expected code) table, None when it cannot tell."""

from __future__ import annotations

import pytest

from classifiers.language import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("you are a pathetic idiot", "en"),
        ("this bug is killing me", "en"),
        ("@user @user Yes. That is how they do it, https://x.co/abc", "en"),
        ("Das ist nicht gut, ich bin so müde heute", "de"),
        ("Je suis très content de cette équipe", "fr"),
        ("El equipo está muy bien y es genial", "es"),
        ("Ik ben niet blij met de nieuwe versie", "nl"),
        ("this is the best team in the world 😀🎉", "en"),
        ("Café crème for the team, thanks to all of you", "en"),
        ("Привет, как дела у команды? 😀", "ru"),
        ("Привет, как дела у команды?", "ru"),
        ("今日はいい天気ですね", "ja"),
        ("ok", None),
        ("lol", None),
        ("Yee yee", None),
        ("", None),
    ],
)
def test_detect_language(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected


def test_ascii_words_are_the_patterns_words() -> None:
    """The byte-table split for ASCII text gives exactly the letter-run pattern's words."""
    import random

    from classifiers.language import _WORD, _letter_runs

    rng = random.Random(3)
    alphabet = [chr(c) for c in range(128)]
    for _ in range(3000):
        head = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        assert _letter_runs(head) == _WORD.findall(head.lower()), head
    # non-ASCII text takes the pattern itself
    assert _letter_runs("Très BIEN, ÇA va") == ["très", "bien", "ça", "va"]
