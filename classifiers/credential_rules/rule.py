"""One row of the credential rule table (:class:`Rule`) and one match of it in a text."""

from __future__ import annotations

from dataclasses import dataclass

# A provider-marked test key: kept as a near miss, never an alert.
TEST_KEY_SCORE = 0.3


@dataclass(frozen=True)
class Rule:
    provider: str
    what: str
    kind: str
    pattern: str
    true_example: str
    false_example: str
    source: str
    score: float = 0.9
    check: str = ""
    test: str = ""
    # Literal pieces one of which every match holds, for a pattern with no literal prefix:
    # the rule runs only on texts holding one (speed only; the pattern still decides).
    gate: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Plain words for explanations: "a Telegram bot token"."""
        name = f"{self.provider} {self.what}"
        return ("an " if name[0].lower() in "aeiou" else "a ") + name


@dataclass(frozen=True)
class RuleMatch:
    rule: Rule
    start: int
    end: int
    value: str
    score: float
    # True when a checksum or structure check confirmed the value.
    checked: bool
