"""Whole-pipeline and per-detector throughput, latency and memory on real texts.

Run: `python benchmarks/bench_pipeline.py` from the repo root (needs ../shared/data).
Texts: the tweeteval offensive test+val tweets and the Presidio synthetic PII sentences.

Presidio's pattern-only analyzer (see bench_leak.py) is timed on the same texts in the same
run when presidio-analyzer can be imported, and the ratio whole pipeline / Presidio printed.
It need not be in the project's environment: see ``BENCH_EXTRA_SITE`` in bench_leak.py.
"""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable

from _common import need_shared, pin_one_core, read_jsonl, read_tsv, write_result

from classifiers import harmful_kernel
from classifiers.base import PostText
from classifiers.pipeline import Pipeline
from monitor.classify.pipeline import make_pipeline
from monitor.config import load_config


def texts() -> list[str]:
    data = need_shared()
    out = [t for _, t in read_tsv(data / "tweeteval/offensive/test.tsv")]
    out += [t for _, t in read_tsv(data / "tweeteval/offensive/val.tsv")]
    out += [r["text"] for r in read_jsonl(data / "pii_presidio_synth_v2/samples.jsonl")]
    return out


def throughput(pipeline: Pipeline, posts: list[PostText], rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for p in posts:
            pipeline.classify(p)
        best = min(best, time.perf_counter() - start)
    return len(posts) / best


def presidio_throughput(texts_: list[str], rounds: int = 3) -> float | None:
    """Presidio pattern-only posts/s on ``texts_`` (best of ``rounds``), None without it."""
    from bench_leak import presidio_analyze  # honours BENCH_EXTRA_SITE

    analyze: Callable[[str], object] | None = presidio_analyze()
    if analyze is None:
        return None
    analyze(texts_[0])
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for t in texts_:
            analyze(t)
        best = min(best, time.perf_counter() - start)
    return len(texts_) / best


def latencies(pipeline: Pipeline, posts: list[PostText]) -> tuple[float, float]:
    samples = []
    for p in posts:
        start = time.perf_counter()
        pipeline.classify(p)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main() -> None:
    pin_one_core()
    raw = texts()
    posts = [PostText(t) for t in raw]
    whole = make_pipeline(load_config())
    whole.classify(posts[0])  # load models before timing
    # the compiled kernel, or its Python forms where the install found no C compiler
    kernel = "compiled" if harmful_kernel.compiled is not None else "Python (no compiled kernel)"
    rows = []
    for det in whole.detectors:
        single = Pipeline([det], whole.detect_language, sorted(whole.wording_languages))
        rows.append({"stage": det.name, "posts_per_second": round(throughput(single, posts))})
    whole_rate = throughput(whole, posts)
    rows.append({"stage": "whole pipeline", "posts_per_second": round(whole_rate)})
    median_ms, p99_ms = latencies(whole, posts)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before Presidio loads
    theirs = presidio_throughput(raw)
    print(f"{len(posts)} texts, one core")
    print(f"{'stage':<28}{'posts/s':>12}")
    for r in rows:
        print(f"{r['stage']:<28}{r['posts_per_second']:>12,}")
    if theirs is not None:
        print(f"{'Presidio pattern-only':<28}{round(theirs):>12,}")
        ratio = whole_rate / theirs
        print(f"{'ratio whole / Presidio':<28}{ratio:>11.2f}x  (same texts, same run)")
    else:
        print("Presidio not importable: no ratio (see the module docstring)")
    print(f"single post latency: median {median_ms:.3f} ms, p99 {p99_ms:.3f} ms")
    print(f"wording model arithmetic: {kernel}")
    print(f"peak RSS: {peak_mb:.0f} MB")
    path = write_result("bench_pipeline", {
        "texts": len(posts), "stages": rows, "latency_ms": {"median": median_ms, "p99": p99_ms},
        "peak_rss_mb": round(peak_mb), "wording_kernel": kernel,
        "presidio_pattern_only_posts_per_second": round(theirs) if theirs else None,
        "ratio_whole_over_presidio": round(whole_rate / theirs, 2) if theirs else None,
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
