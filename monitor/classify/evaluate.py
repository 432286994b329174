"""Measure the classifiers on labelled texts: how a company checks them on its own posts.

Input: a TSV with header ``label<TAB>text`` (split on the first tab, no quoting) or JSONL
with ``text`` and ``label``; label 1 means "should be flagged in this category".
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from classifiers.base import CATEGORIES, LEAK_CATEGORIES, PostText
from classifiers.pipeline import Pipeline
from monitor.config import AppConfig
from monitor.errors import BadInput

CATEGORY_CHOICES = ("harmful", "leak", *LEAK_CATEGORIES, "any")


def categories_for(name: str) -> frozenset[str]:
    if name == "leak":
        return frozenset(LEAK_CATEGORIES)
    if name == "any":
        return frozenset(CATEGORIES)
    if name in CATEGORIES:
        return frozenset({name})
    raise BadInput(f"category: {name!r} unknown; expected one of {', '.join(CATEGORY_CHOICES)}")


def _label(value: object, where: str) -> int:
    text = str(value).strip()
    if text in ("0", "1"):
        return int(text)
    if isinstance(value, bool):
        return int(value)
    raise BadInput(f"{where}: label must be 0 or 1, got {value!r}")


def read_labelled(path: Path) -> list[tuple[str, int]]:
    """(text, label) pairs. Raises :class:`BadInput` naming the line and field."""
    if not path.is_file():
        raise BadInput(f"DATA: file not found: {path}")
    rows: list[tuple[str, int]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise BadInput(f"DATA: {path.name} is not UTF-8 text") from exc
    if path.suffix.lower() in (".jsonl", ".json"):
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BadInput(f"{path.name} line {n}: not valid JSON ({exc.msg})") from exc
            if not isinstance(obj, dict) or "text" not in obj or "label" not in obj:
                raise BadInput(f"{path.name} line {n}: expected an object with text and label")
            rows.append((str(obj["text"]), _label(obj["label"], f"{path.name} line {n}")))
        return rows
    if not lines or lines[0].split("\t")[:2] != ["label", "text"]:
        raise BadInput(f"{path.name}: expected a TSV with header 'label<TAB>text' or a .jsonl")
    for n, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        label, sep, text = line.partition("\t")
        if not sep:
            raise BadInput(f"{path.name} line {n}: expected label<TAB>text")
        rows.append((text, _label(label, f"{path.name} line {n}")))
    return rows


@dataclass(frozen=True)
class Scores:
    n: int
    precision: float
    recall: float
    f1: float
    macro_f1: float
    tp: int
    fp: int
    fn: int
    tn: int
    texts_per_second: float


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score(pairs: Iterable[tuple[int, int]], seconds: float) -> Scores:
    tp = fp = fn = tn = 0
    for gold, pred in pairs:
        if gold and pred:
            tp += 1
        elif pred:
            fp += 1
        elif gold:
            fn += 1
        else:
            tn += 1
    n = tp + fp + fn + tn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    neg_p = tn / (tn + fn) if tn + fn else 0.0
    neg_r = tn / (tn + fp) if tn + fp else 0.0
    f1 = _f1(precision, recall)
    return Scores(
        n=n,
        precision=round(precision, 4),
        recall=round(recall, 4),
        f1=round(f1, 4),
        macro_f1=round((f1 + _f1(neg_p, neg_r)) / 2, 4),
        tp=tp,
        fp=fp,
        fn=fn,
        tn=tn,
        texts_per_second=round(n / seconds, 1) if seconds > 0 else 0.0,
    )


@dataclass(frozen=True)
class Row:
    """One labelled row and what the classifiers made of it."""

    line: int  # in the file, so a mistake can be looked up
    text: str
    label: int
    flagged: tuple[str, ...]  # categories flagged at or above the policy's digest floor

    @property
    def mistake(self) -> str | None:
        """``false_positive``, ``false_negative`` or None when the call was right."""
        if self.label == int(bool(self.flagged)):
            return None
        return "false_positive" if self.flagged else "false_negative"


@dataclass(frozen=True)
class Evaluation:
    scores: Scores
    rows: tuple[Row, ...]


def row_lines(path: Path) -> list[int]:
    """The line number of each row :func:`read_labelled` returns (blank lines skipped)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = 1 if path.suffix.lower() in (".jsonl", ".json") else 2
    return [n for n, line in enumerate(lines[start - 1:], start) if line.strip()]


def evaluate_rows(
    pipeline: Pipeline,
    app: AppConfig,
    path: Path,
    category: str,
    progress: Callable[[list[tuple[str, int]]], Iterable[tuple[str, int]]] = iter,
) -> Evaluation:
    """Flagged = at least one finding in the category that the policy would not ignore.

    ``progress`` wraps the rows as they are classified (the CLI's progress bar).
    """
    wanted = categories_for(category)
    rows = read_labelled(path)
    if not rows:
        raise BadInput(f"DATA: {path.name} holds no labelled rows")
    floor = app.policy.thresholds.digest
    start = time.perf_counter()
    flagged = []
    for text, _ in progress(rows):
        result = pipeline.classify(PostText(text))
        flagged.append(tuple(sorted({f.category for f in result.findings
                                     if f.category in wanted and f.score >= floor})))
    elapsed = time.perf_counter() - start
    scores = score(((gold, int(bool(f))) for (_, gold), f in zip(rows, flagged, strict=True)),
                   elapsed)
    return Evaluation(scores, tuple(
        Row(line, text, gold, cats)
        for line, (text, gold), cats in zip(row_lines(path), rows, flagged, strict=True)
    ))


def evaluate(pipeline: Pipeline, app: AppConfig, path: Path, category: str) -> Scores:
    """The scores of :func:`evaluate_rows`."""
    return evaluate_rows(pipeline, app, path, category).scores
