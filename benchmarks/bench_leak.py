"""Throughput of the leak stage against Presidio's pattern-only analyzer, same texts, same run.

Run from the repository root::

    python benchmarks/bench_leak.py [--repeat 3] [--limit N]

The texts are the tweeteval offensive tweets (train+val+test, 14,100 ordinary posts) from
``../shared/data``. "Leak stage" = every leak detector (confidential terms, personal data,
credentials, commercial cues, legal talk) through ``classifiers.pipeline.Pipeline``.
"Presidio pattern-only" = each of Presidio's predefined English recognizers except the
spaCy one, called directly with no NLP artefacts (no model is loaded, nothing is
downloaded). Both run on one core in this process. Prints a table and writes
``benchmarks/results/bench_leak.json``. Needs ``pip install presidio-analyzer`` for the
comparison; without it only our figure is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "benchmarks" / "results"

sys.path.insert(0, str(REPO))

from classifiers.base import CompanyTerms, DetectorConfig, EmployerIdentity, PostText  # noqa: E402
from classifiers.pipeline import Pipeline  # noqa: E402
from classifiers.registry import DETECTORS  # noqa: E402
from classifiers.training.leak_eval import load_tweets  # noqa: E402

LEAK_DETECTORS = (
    "confidential_terms",
    "personal_data",
    "credentials",
    "commercial_info",
    "legal_talk",
)

# A policy of realistic size: the confidential-terms pattern grows with the lexicon.
BENCH_CONFIG = DetectorConfig(
    terms=CompanyTerms(
        project_code_names=tuple(
            f"Project {w}"
            for w in (
                "Falcon",
                "Osprey",
                "Kestrel",
                "Heron",
                "Condor",
                "Raven",
                "Merlin",
                "Harrier",
                "Puffin",
                "Albatross",
                "Pelican",
                "Gannet",
                "Swift",
                "Lark",
                "Wren",
                "Finch",
            )
        ),
        unreleased_products=("Acme Phone X", "Acme Cloud Edge", "Roadrunner 2", "Acme Pay Pro"),
        secret_clients=(
            "Globex",
            "Initech",
            "Umbrella Corp",
            "Hooli",
            "Vandelay Industries",
            "Soylent",
            "Wonka Industries",
            "Cyberdyne",
        ),
        internal_events=("Hack Week", "Q4 All Hands", "Leadership Offsite"),
        internal_hosts=("build01.corp.acme", "jira.corp.acme", "vault.corp.acme"),
    ),
    employer=EmployerIdentity(names=("Acme", "Acme Corp"), products=("Acme Phone",)),
)

# Presidio entity -> our kind, for the quality comparison in leak_quality.py.
PRESIDIO_KINDS = {
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "CREDIT_CARD": "credit_card",
    "IBAN_CODE": "iban",
    "US_SSN": "national_id",
    "US_DRIVER_LICENSE": "national_id",
    "US_PASSPORT": "national_id",
    "US_ITIN": "national_id",
    "UK_NHS": "national_id",
    "IP_ADDRESS": "ip_address",
}
# Presidio's weakest pattern guesses (0.01-0.05, e.g. any 9-digit number as a bank account)
# are noise even by its own account; count results from this score up.
PRESIDIO_MIN_SCORE = 0.3


def require_data() -> Path:
    if not DATA.is_dir():
        sys.exit(f"needs the shared data folder {DATA} (../shared/data beside the repo)")
    return DATA


def leak_pipeline() -> Pipeline:
    return Pipeline([DETECTORS[name](BENCH_CONFIG) for name in LEAK_DETECTORS])


def presidio_analyze() -> Callable[[str], list[tuple[int, int, str, float]]] | None:
    """Presidio's predefined recognizers minus spaCy, or None when it is not installed.

    presidio-analyzer may live outside the project's environment: ``pip install --target DIR
    presidio-analyzer`` and set ``BENCH_EXTRA_SITE=DIR``; DIR is appended to ``sys.path``
    (after the environment's packages, so numpy and the rest stay the project's).
    """
    extra = os.environ.get("BENCH_EXTRA_SITE")
    if extra and extra not in sys.path:
        sys.path.append(extra)
    try:
        import tldextract
    except ImportError:
        return None
    # Presidio's e-mail and URL recognizers call tldextract, which would fetch the public
    # suffix list from the internet; use the snapshot that ships inside tldextract instead.
    tldextract.extract = tldextract.TLDExtract(  # type: ignore[assignment]
        suffix_list_urls=(), cache_dir=None
    )
    try:
        from presidio_analyzer import RecognizerRegistry
    except ImportError:
        return None
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(languages=["en"])
    recognizers = [r for r in registry.recognizers if type(r).__name__ != "SpacyRecognizer"]

    def analyze(text: str) -> list[tuple[int, int, str, float]]:
        out = []
        for r in recognizers:
            # No NLP engine: the pattern recognizers accept None for the NLP artefacts.
            for res in r.analyze(text, r.supported_entities, None) or []:  # type: ignore[arg-type]
                out.append((res.start, res.end, res.entity_type, res.score))
        return out

    return analyze


def time_per_text(func: Callable[[str], object], texts: Sequence[str], repeat: int) -> float:
    """Best of ``repeat`` passes, in seconds per text (best-of damps noise from other jobs)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            func(text)
        best = min(best, time.perf_counter() - start)
    return best / len(texts)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--limit", type=int, default=0, help="use only the first N texts")
    args = parser.parse_args(argv)
    texts = load_tweets(require_data(), ("train", "val", "test"))
    if args.limit:
        texts = texts[: args.limit]
    pipeline = leak_pipeline()
    ours = time_per_text(lambda t: pipeline.classify(PostText(t)), texts, args.repeat)
    rows: dict[str, Any] = {
        "texts": len(texts),
        "repeat": args.repeat,
        "python": platform.python_version(),
        "leak_stage_posts_per_s": round(1 / ours),
    }
    per_detector = {}
    for name in LEAK_DETECTORS:
        detect = DETECTORS[name](BENCH_CONFIG).detect
        per_detector[name] = round(
            1 / time_per_text(lambda t, f=detect: f(PostText(t)), texts, args.repeat)  # type: ignore[misc]
        )
    rows["per_detector_posts_per_s"] = per_detector
    presidio = presidio_analyze()
    if presidio is not None:
        theirs = time_per_text(presidio, texts, args.repeat)
        rows["presidio_pattern_only_posts_per_s"] = round(1 / theirs)
        rows["ratio_ours_over_presidio"] = round(theirs / ours, 1)
    print(f"{'what':<36}{'posts/s':>12}")
    print(f"{'leak stage (5 detectors, Pipeline)':<36}{rows['leak_stage_posts_per_s']:>12,}")
    for name, rate in per_detector.items():
        print(f"{'  ' + name:<36}{rate:>12,}")
    if presidio is not None:
        print(f"{'Presidio pattern-only':<36}{rows['presidio_pattern_only_posts_per_s']:>12,}")
        print(f"{'ratio ours / Presidio':<36}{rows['ratio_ours_over_presidio']:>11}x")
    else:
        print("Presidio not installed: pip install presidio-analyzer for the comparison")
    print(f"({len(texts):,} tweeteval texts, best of {args.repeat}, one core)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_leak.json").write_text(json.dumps(rows, indent=2) + "\n")
    return rows


if __name__ == "__main__":
    main()
