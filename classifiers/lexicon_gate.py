"""Whether a text can hold a lexicon hit, told from its whitespace tokens before walking it.

Most posts hold no term; many hold a word that starts a phrase ("you", "go", "get") and go on
otherwise. The wording model reads each token's gate once per distinct token (its chunk cache)
and calls ``Lexicon.find`` only where ``may_hit`` says yes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class TokenGate(NamedTuple):
    """One whitespace token as ``may_hit`` reads it (``Lexicon.token_gate``)."""

    term: bool  # a term on its own
    letter: bool  # a single letter: three in a row may spell a term ("i d i o t")
    word: str | None  # its canonical word; None for a mention, a link or punctuation alone
    phrase_next: frozenset[str] | None  # the words that continue a phrase it starts


def may_hit(gates: Iterable[TokenGate]) -> bool:
    """Whether ``Lexicon.find`` of a text made of these tokens, in order, can find anything:
    a term, three single letters, or a phrase's first word followed by a word that may
    continue it (mentions and links between them do not count, as in ``find``). False means
    ``find`` returns no hit."""
    letters = 0
    after: frozenset[str] | None = None
    for gate in gates:
        if gate.term:
            return True
        letters += gate.letter
        if gate.word is None:
            continue
        if after is not None and gate.word in after:
            return True
        after = gate.phrase_next
    return letters >= 3
