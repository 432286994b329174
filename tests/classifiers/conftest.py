"""A toy training set and a trainer over it, shared by the wording-model tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from classifiers.harmful_model import HarmfulModel
from classifiers.training.data import LabelledText
from classifiers.training.harmful import Params, train


@dataclass(frozen=True)
class ToyData:
    """40 posts, half rude, and a trainer that needs neither alt-profanity-check nor the
    data: the shipped model's profanity block and lexicon stand in."""

    rude: list[str]
    nice: list[str]
    train: Callable[..., HarmfulModel]

    @property
    def examples(self) -> list[LabelledText]:
        return [LabelledText(t, 1) for t in self.rude] + [LabelledText(t, 0) for t in self.nice]


@pytest.fixture(scope="session")
def toy() -> ToyData:
    shipped = HarmfulModel.load()
    rude = ["you idiot", "shut up moron", "stupid clown", "you are pathetic"] * 5
    nice = ["nice work", "thanks team", "great demo", "see you soon"] * 5

    def run(**kwargs: Any) -> HarmfulModel:
        data = ToyData(rude, nice, run)
        return train(
            data.examples,
            Params(word_min_df=1, char_min_df=1, folds=2, min_recall=0.0),
            profanity=shipped.profanity,
            lexicon=shipped.lexicon,
            info={"version": "t"},
            **kwargs,
        )

    return ToyData(rude, nice, run)
