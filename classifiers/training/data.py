"""The wording model's training examples: TweetEval and feedback files read as labelled
texts, and the hand-written workplace examples every training run adds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LabelledText:
    """One training example: 1 = harmful wording, 0 = fine; ``weight`` scales its loss."""

    text: str
    label: int
    weight: float = 1.0


# OLID is political Twitter, where "sick", "killing" or "destroyed" are mostly hostile; at work
# they are mostly banter. These hand-written examples (ours, not from any data set) teach the
# model the workplace senses, plus a few insults aimed at colleagues so the balance holds.
# The must-not-flag phrases of the tests are deliberately not among them.
WORKPLACE_BENIGN = (
    "this deadline is killing me", "that release absolutely killed it",
    "we are killing it this quarter",
    "the sales team crushed their numbers", "we crushed the demo", "our new build is sick",
    "that keynote was sick, well done all", "sick demo from the platform team today",
    "this bug is driving me crazy", "these flaky tests are killing me slowly",
    "the migration nearly killed our weekend", "kill the old process before deploying",
    "we destroyed the competition at the trade show", "the team smashed the sprint goals",
    "that launch was insane, great work", "the new dashboard is wicked fast",
    "shoot me a message when the build is green", "I am dying to see the results",
    "our ops folks are beasts", "the on-call week was brutal but we survived",
    "the quarterly numbers are crazy good", "we nailed the customer workshop",
    "great offsite with the team, I love these people", "so proud of my team today",
    "the hackathon was a blast", "this coffee machine is the real hero of the office",
    "honestly the roadmap review was fire", "the database upgrade bombed, rolling back",
    "we got our butts kicked by the load test", "that outage was a nightmare",
    "I hate merge conflicts on a friday", "monday standups are brutal",
    "the printer is dead again", "my laptop fan sounds like a jet engine",
    "debugging this legacy code is murder", "the CI pipeline is slow as hell today",
    "sneak peek: the new release is going to blow your mind", "the demo blew everyone away",
    "our booth was packed, the crowd went wild",
)  # fmt: skip
WORKPLACE_HARMFUL = (
    "my manager is a useless idiot", "the new hire is too stupid to read docs",
    "our clients are morons who can't use a mouse", "the support team are lazy losers",
    "shut up and do your job, moron", "anyone who uses that framework is a clown",
    "the other team are a bunch of incompetent fools", "that customer is a pathetic whiner",
)  # fmt: skip


# 47 examples against 13k tweets would not move the model (weight 10 still left "sick"
# flagged); weighted 30, they do. Feedback from
# our own employees is in-domain too and gets the same weight.
DOMAIN_WEIGHT = 30.0


def load_tsv(path: str | Path) -> list[LabelledText]:
    """Read a TweetEval TSV (header ``label<TAB>text``; split on the first tab, no quoting)."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        next(fh, None)
        for line in fh:
            label, _, text = line.rstrip("\n").partition("\t")
            rows.append(LabelledText(text, int(label)))
    return rows


def workplace_examples() -> list[LabelledText]:
    """The hand-written workplace examples added to every training run."""
    return [LabelledText(t, 0, DOMAIN_WEIGHT) for t in WORKPLACE_BENIGN] + [
        LabelledText(t, 1, DOMAIN_WEIGHT) for t in WORKPLACE_HARMFUL
    ]


def load_jsonl(path: str | Path) -> list[LabelledText]:
    """Read feedback examples, one JSON object per line: ``{"text": ..., "label": 0|1}``."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            obj = json.loads(line)
            if obj.get("label") not in (0, 1) or not isinstance(obj.get("text"), str):
                raise ValueError(f"{path}:{n}: need {{'text': str, 'label': 0 or 1}}")
            rows.append(LabelledText(obj["text"], int(obj["label"]), DOMAIN_WEIGHT))
    return rows
