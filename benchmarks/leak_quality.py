"""Quality of the leak detectors on the labelled public sets in ../shared/data.

Run from the repository root::

    python benchmarks/leak_quality.py

Prints, and writes to ``benchmarks/results/leak_quality.json``:

* span-level precision/recall/F1 per kind on pii_presidio_synth_v2 (ours, and Presidio's
  pattern-only recognizers when presidio-analyzer is installed),
* credentials P/R/F1 on secrets_credsweeper_samples (line level) with tweeteval test+val
  counted as ordinary posts, and the false-alarm rate on those posts,
* legal-talk P/R/F1 with the LearnedHands posts of legal_legalbench_fewshot as positives and
  tweeteval test+val as negatives,
* the false-alarm rate of every leak detector on tweeteval offensive test+val,
* personal data and credentials in prose on datasets/leak_prose (generated in this repo):
  post level (as ``social-monitor evaluate`` counts) and span level (IoU >= 0.5, any kind of
  the category), per split; train and dev were looked at while writing the rules, test was
  not (it is still written by the same author: see datasets/leak_prose/SOURCE.md).

A detection is a finding with score >= 0.5 (digest or alert); see
classifiers/training/leak_eval.py for the span-matching rule.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_leak import (  # noqa: E402
    BENCH_CONFIG,
    LEAK_DETECTORS,
    PRESIDIO_KINDS,
    PRESIDIO_MIN_SCORE,
    RESULTS,
    presidio_analyze,
    require_data,
)

from classifiers import credentials, legal, personal_data  # noqa: E402
from classifiers.base import DetectorConfig, PostText  # noqa: E402
from classifiers.registry import DETECTORS  # noqa: E402
from classifiers.training.leak_eval import (  # noqa: E402
    PII_KINDS,
    PROSE_KINDS,
    detector_spans,
    false_alarms,
    load_legal,
    load_pii,
    load_prose,
    load_secrets,
    load_tweets,
    score_binary,
    score_category_spans,
    score_posts,
    score_spans,
)


def _row(name: str, c: dict[str, Any]) -> str:
    return (
        f"{name:<28}{c['tp']:>6}{c['fp']:>6}{c['fn']:>6}"
        f"{c['precision']:>8.3f}{c['recall']:>8.3f}{c['f1']:>8.3f}"
    )


PROSE = REPO / "datasets" / "leak_prose" / "data"


def prose(config: DetectorConfig) -> dict[str, Any]:
    """Post- and span-level P/R/F1 per split of datasets/leak_prose."""
    print("\nProse (datasets/leak_prose; train+dev seen while writing rules, test held out)")
    print(f"{'':<28}{'tp':>6}{'fp':>6}{'fn':>6}{'P':>8}{'R':>8}{'F1':>8}")
    builds = {"personal_data": personal_data.build, "credentials": credentials.build}
    result: dict[str, Any] = {}
    for split in ("train", "dev", "test"):
        samples = load_prose(PROSE, split)
        for category, build in builds.items():
            detector = build(config)

            def predict(text: str, d: Any = detector, c: str = category) -> list[Any]:
                return [
                    (f.start, f.end, f.kind)
                    for f in d.detect(PostText(text))
                    if f.category == c and f.score >= 0.5
                ]

            posts = score_posts(samples, predict, PROSE_KINDS[category]).as_dict()
            spans = score_category_spans(samples, predict, PROSE_KINDS[category]).as_dict()
            result[f"{split}_{category}"] = {"posts": posts, "spans": spans}
            print(_row(f"{split} {category} posts", posts))
            print(_row(f"{split} {category} spans", spans))
    return result


def main() -> dict[str, Any]:
    data = require_data()
    config = DetectorConfig()  # default phone regions US, GB, DE, FR
    tweets = load_tweets(data, ("test", "val"))
    out: dict[str, Any] = {"threshold": 0.5, "ordinary_posts": len(tweets)}
    header = f"{'':<28}{'tp':>6}{'fp':>6}{'fn':>6}{'P':>8}{'R':>8}{'F1':>8}"

    pii = load_pii(data)
    ours = score_spans(pii, detector_spans(personal_data.build(config)))
    out["pii_spans"] = {k: v.as_dict() for k, v in ours.items()}
    print("Personal data, span level, pii_presidio_synth_v2 (1,500 texts)")
    print(header)
    for kind, counts in ours.items():
        print(_row(f"ours {kind}", counts.as_dict()))
    presidio = presidio_analyze()
    if presidio is not None:

        def predict(text: str) -> list[tuple[int, int, str]]:
            spans = {
                (s, e, PRESIDIO_KINDS[t])
                for s, e, t, score in presidio(text)
                if t in PRESIDIO_KINDS and score >= PRESIDIO_MIN_SCORE
            }
            return sorted(spans)

        theirs = score_spans(pii, predict, PII_KINDS.values())
        out["presidio_pattern_only_pii_spans"] = {k: v.as_dict() for k, v in theirs.items()}
        for kind, counts in theirs.items():
            print(_row(f"presidio {kind}", counts.as_dict()))

    secrets = load_secrets(data)
    cred = score_binary(credentials.build(config), secrets, tweets)
    out["credentials"] = {
        **cred.counts.as_dict(),
        "ordinary_flagged": cred.ordinary_flagged,
        "false_alarm_rate": round(cred.false_alarm_rate, 5),
    }
    print("\nCredentials, line level, secrets_credsweeper_samples + tweeteval test+val")
    print(header)
    print(_row("credentials", cred.counts.as_dict()))
    print(f"false alarms on ordinary posts: {cred.ordinary_flagged}/{cred.ordinary_total}")

    posts = [x for x in load_legal(data) if x.group == "LearnedHands"]
    leg = score_binary(legal.build(config), posts, tweets)
    out["legal"] = {
        **leg.counts.as_dict(),
        "ordinary_flagged": leg.ordinary_flagged,
        "false_alarm_rate": round(leg.false_alarm_rate, 5),
    }
    print("\nLegal talk, post level, LearnedHands (96 positives) vs tweeteval test+val")
    print(header)
    print(_row("legal_talk", leg.counts.as_dict()))

    print("\nFalse alarms (score >= 0.5) on tweeteval offensive test+val")
    fa: dict[str, Any] = {}
    for name in LEAK_DETECTORS:
        flagged, total = false_alarms(DETECTORS[name](BENCH_CONFIG), tweets)
        fa[name] = {"flagged": flagged, "total": total, "rate": round(flagged / total, 5)}
        print(f"{name:<28}{flagged:>6}/{total:<6}{flagged / total:>9.3%}")
    out["false_alarms_tweeteval_test_val"] = fa

    out["prose"] = prose(config)

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "leak_quality.json").write_text(json.dumps(out, indent=2) + "\n")
    print(f"\nwritten {RESULTS / 'leak_quality.json'}")
    return out


if __name__ == "__main__":
    main()
