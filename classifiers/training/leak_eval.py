"""Measure the leak detectors on the labelled public sets in ``../shared/data``.

Used by ``benchmarks/leak_quality.py``, the quality regression tests and, if the lead wants,
``social-monitor evaluate``. Loaders take the data folder as an argument and raise
``FileNotFoundError`` when a set is absent; nothing here reads a fixed path.

A detection counts when its score reaches ``threshold`` (0.5 = at least "digest only").
Span matching is one-to-one and needs the same kind and a character overlap of at least
half the union of both spans (IoU >= 0.5), so a phone found without its extension still
counts while a span covering two numbers does not.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from classifiers.base import Detector, Finding, PostText

# Gold labels of pii_presidio_synth_v2 -> our finding kinds.
PII_KINDS: dict[str, str] = {
    "EMAIL": "email",
    "PHONE": "phone",
    "CREDIT_CARD": "credit_card",
    "IBAN": "iban",
    "NATIONAL_ID": "national_id",
    "IP_ADDRESS": "ip_address",
}


@dataclass(frozen=True)
class SpanSample:
    text: str
    spans: tuple[tuple[int, int, str], ...]  # (start, end, kind)


@dataclass(frozen=True)
class LabelledText:
    text: str
    positive: bool
    group: str = ""


@dataclass
class Counts:
    """True positives, false positives and false negatives, with the usual ratios."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass
class BinaryResult:
    """Post-level detection on positives plus false alarms on ordinary posts."""

    counts: Counts = field(default_factory=Counts)
    ordinary_total: int = 0
    ordinary_flagged: int = 0

    @property
    def false_alarm_rate(self) -> float:
        return self.ordinary_flagged / self.ordinary_total if self.ordinary_total else 0.0


# -- loaders -------------------------------------------------------------------------------
def load_pii(data: Path) -> list[SpanSample]:
    """pii_presidio_synth_v2 with only the kinds we detect."""
    path = data / "pii_presidio_synth_v2" / "samples.jsonl"
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            spans = tuple(
                (s["start"], s["end"], PII_KINDS[s["label"]])
                for s in row["spans"]
                if s["label"] in PII_KINDS
            )
            out.append(SpanSample(row["text"], spans))
    return out


def load_secrets(data: Path) -> list[LabelledText]:
    """secrets_credsweeper_samples: one line of config or code, SECRET or NONE."""
    path = data / "secrets_credsweeper_samples" / "lines.jsonl"
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            out.append(LabelledText(row["text"], row["label"] == "SECRET", row["file"]))
    return out


def load_legal(data: Path) -> list[LabelledText]:
    """legal_legalbench_fewshot rows; ``group`` is the source (LearnedHands or ContractNLI)."""
    path = data / "legal_legalbench_fewshot" / "samples.tsv"
    out = []
    with path.open(encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            parts = line.rstrip("\n").split("\t", 3)
            if len(parts) == 4:
                text = parts[3]
                if len(text) >= 2 and text[0] == text[-1] == '"':
                    text = text[1:-1].replace('""', '"')
                out.append(LabelledText(text, True, parts[1]))
    return out


def load_tweets(data: Path, splits: Sequence[str] = ("test", "val")) -> list[str]:
    """Ordinary posts: tweeteval offensive texts (header ``label<TAB>text``)."""
    out = []
    for split in splits:
        path = data / "tweeteval" / "offensive" / f"{split}.tsv"
        with path.open(encoding="utf-8") as fh:
            next(fh)
            for line in fh:
                _, _, text = line.rstrip("\n").partition("\t")
                out.append(text)
    return out


def load_prose(folder: Path, split: str) -> list[SpanSample]:
    """datasets/leak_prose ``{split}.jsonl``: spans carry our own kind names."""
    out = []
    with (folder / f"{split}.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            spans = tuple((s["start"], s["end"], s["kind"]) for s in row["spans"])
            out.append(SpanSample(row["text"], spans))
    return out


# Kinds of datasets/leak_prose, by category; the detector may name a prose password
# "password_assignment" where the set says "password".
PROSE_KINDS: dict[str, tuple[str, ...]] = {
    "personal_data": (
        "phone",
        "email",
        "credit_card",
        "iban",
        "bank_account",
        "national_id",
        "date_of_birth",
        "location",
        "health_data",
        "device_id",
        "one_time_code",
    ),
    "credentials": ("password", "api_token", "session_token", "url_password"),
}


def score_posts(
    samples: Iterable[SpanSample],
    predict: Callable[[str], Iterable[tuple[int, int, str]]],
    kinds: Iterable[str],
) -> Counts:
    """Post level: a post is positive when it holds a gold span of one of ``kinds``; it is
    flagged when ``predict`` returns anything for it (``predict`` filters the category)."""
    wanted = set(kinds)
    c = Counts()
    for sample in samples:
        gold = any(k in wanted for _, _, k in sample.spans)
        hit = any(True for _ in predict(sample.text))
        c.tp += gold and hit
        c.fn += gold and not hit
        c.fp += hit and not gold
    return c


def score_category_spans(
    samples: Iterable[SpanSample],
    predict: Callable[[str], Iterable[tuple[int, int, str]]],
    kinds: Iterable[str],
) -> Counts:
    """Span level within one category, any kind: each gold span of ``kinds`` needs a
    predicted span with IoU >= 0.5 (one to one); unmatched predictions are false positives."""
    wanted = set(kinds)
    c = Counts()
    for sample in samples:
        predicted = [(s, e) for s, e, _ in predict(sample.text)]
        used: set[int] = set()
        for start, end, kind in sample.spans:
            if kind not in wanted:
                continue
            best = next(
                (
                    i
                    for i, p in enumerate(predicted)
                    if i not in used and _iou((start, end), p) >= 0.5
                ),
                -1,
            )
            if best >= 0:
                used.add(best)
                c.tp += 1
            else:
                c.fn += 1
        c.fp += len(predicted) - len(used)
    return c


# -- scoring -------------------------------------------------------------------------------
def _iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return 0.0
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


def score_spans(
    samples: Iterable[SpanSample],
    predict: Callable[[str], Iterable[tuple[int, int, str]]],
    kinds: Iterable[str] = PII_KINDS.values(),
) -> dict[str, Counts]:
    """Per-kind span counts; ``predict`` returns (start, end, kind) for one text."""
    counts = {k: Counts() for k in kinds}
    for sample in samples:
        predicted = [p for p in predict(sample.text) if p[2] in counts]
        used: set[int] = set()
        for start, end, kind in sample.spans:
            best, best_iou = -1, 0.5
            for i, (ps, pe, pk) in enumerate(predicted):
                if i in used or pk != kind:
                    continue
                iou = _iou((start, end), (ps, pe))
                if iou >= best_iou:
                    best, best_iou = i, iou
            if best >= 0:
                used.add(best)
                counts[kind].tp += 1
            else:
                counts[kind].fn += 1
        for i, (_, _, pk) in enumerate(predicted):
            if i not in used:
                counts[pk].fp += 1
    return counts


def detector_spans(
    detector: Detector, threshold: float = 0.5
) -> Callable[[str], list[tuple[int, int, str]]]:
    """Adapt a detector to :func:`score_spans`."""

    def predict(text: str) -> list[tuple[int, int, str]]:
        return [
            (f.start, f.end, f.kind)
            for f in detector.detect(PostText(text))
            if f.score >= threshold
        ]

    return predict


def flags(detector: Detector, text: str, threshold: float = 0.5) -> list[Finding]:
    """Findings at or above ``threshold`` for one text."""
    return [f for f in detector.detect(PostText(text)) if f.score >= threshold]


def score_binary(
    detector: Detector,
    labelled: Iterable[LabelledText],
    ordinary: Iterable[str],
    threshold: float = 0.5,
) -> BinaryResult:
    """Post-level P/R/F1 on ``labelled`` (positives and negatives) plus ``ordinary`` posts
    counted as negatives; the false-alarm rate is measured on ``ordinary`` alone."""
    result = BinaryResult()
    c = result.counts
    for item in labelled:
        hit = bool(flags(detector, item.text, threshold))
        if item.positive:
            c.tp += hit
            c.fn += not hit
        else:
            c.fp += hit
    for text in ordinary:
        hit = bool(flags(detector, text, threshold))
        result.ordinary_total += 1
        result.ordinary_flagged += hit
        c.fp += hit
    return result


def false_alarms(
    detector: Detector, ordinary: Iterable[str], threshold: float = 0.5
) -> tuple[int, int]:
    """(flagged, total) over ordinary posts."""
    flagged = total = 0
    for text in ordinary:
        total += 1
        flagged += bool(flags(detector, text, threshold))
    return flagged, total
