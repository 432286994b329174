"""The normalised view: spelled-out digits, typos of cue words, offsets back to the post."""

from __future__ import annotations

import pytest

from classifiers.prose_view import normal_view


@pytest.mark.parametrize(
    ("text", "view"),
    [
        ("call four one five, three eight two, nine one zero four", "call 4153829104"),
        ("call four one five, 382 9104 now", "call 4153829104 now"),
        ("code is oh four two nine", "code is 0429"),
        ("the pasword for the acount", "the password for the account"),
        ("Pasword: x", "Password: x"),
    ],
)
def test_view_rewrites(text: str, view: str) -> None:
    assert normal_view(text).text == view


@pytest.mark.parametrize(
    "text",
    [
        "one or two of us will go",  # too few digits to be a number
        "one two three, here we go",
        "we won 3-1 last night",  # digits only: left to the formatted patterns
        "ordinary post with nothing to rewrite",
    ],
)
def test_view_leaves_ordinary_text_alone(text: str) -> None:
    assert normal_view(text).text == text


def test_view_spans_point_at_the_original_words() -> None:
    text = "ring Ana on four one five, 382 9104 today"
    view = normal_view(text)
    start = view.text.index("4153829104")
    s, e = view.original(start, start + 10)
    assert text[s:e] == "four one five, 382 9104"
    # characters outside the rewritten run map one to one
    s, e = view.original(0, 4)
    assert text[s:e] == "ring"
    tail = view.text.index("today")
    s, e = view.original(tail, tail + 5)
    assert text[s:e] == "today"


def test_identity_view_maps_to_itself() -> None:
    view = normal_view("nothing here")
    assert view.identity and view.original(2, 5) == (2, 5)
