"""datasets/leak_prose: the committed files are what the generator makes, and the detectors
reach the issue-16 floors on its held-out test split (post level, as `evaluate` counts)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from classifiers import credentials, personal_data
from classifiers.base import Detector, DetectorConfig, PostText
from classifiers.training.leak_eval import (
    PROSE_KINDS,
    load_prose,
    score_category_spans,
    score_posts,
)

SET = Path(__file__).resolve().parents[2] / "datasets" / "leak_prose"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("leak_prose_generate", SET / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_committed_files_are_what_the_generator_makes() -> None:
    assert _generator().main(["--check", "--out", str(SET / "data")]) == 0


def test_split_is_by_template() -> None:
    rows = {split: load_prose(SET / "data", split) for split in ("train", "dev", "test")}
    assert all(rows.values())
    gen = _generator()
    by_split: dict[str, set[str]] = {"train": set(), "dev": set(), "test": set()}
    for ex in gen.examples():
        by_split[ex.split].add(ex.template)
    assert not by_split["test"] & (by_split["train"] | by_split["dev"])


def _predict(detector: Detector, category: str) -> Callable[[str], list[tuple[int, int, str]]]:
    def run(text: str) -> list[tuple[int, int, str]]:
        return [
            (f.start, f.end, f.kind)
            for f in detector.detect(PostText(text))
            if f.category == category and f.score >= 0.5
        ]

    return run


@pytest.mark.parametrize(
    ("category", "build", "floor"),
    [("personal_data", personal_data.build, 0.6), ("credentials", credentials.build, 0.75)],
)
def test_held_out_split_reaches_the_floor(
    category: str, build: Callable[[DetectorConfig], Detector], floor: float
) -> None:
    test = load_prose(SET / "data", "test")
    predict = _predict(build(DetectorConfig()), category)
    posts = score_posts(test, predict, PROSE_KINDS[category])
    spans = score_category_spans(test, predict, PROSE_KINDS[category])
    assert posts.f1 >= floor, posts.as_dict()
    assert spans.f1 >= floor, spans.as_dict()
