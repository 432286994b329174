"""What the classifier pipeline holds in memory as a long-running daemon classifies posts.

Run: `python benchmarks/bench_memory.py` from the repo root (needs ../shared/data).
Texts: every tweeteval split (27,070 real tweets, most of them distinct), classified
once each through the whole pipeline; the process RSS (VmRSS) is read after the models load
and after every 10,000 posts. The detectors' per-word and per-chunk caches are what grows:
they are bounded by ``classifiers.base.CACHE_ENTRIES``, so the figure levels off instead of
climbing with every new word. Peak RSS of the daemon at 10,000 accounts is in bench_polling.
"""

from __future__ import annotations

import resource

from _common import need_shared, read_tsv, write_result

from classifiers.base import CACHE_ENTRIES, PostText
from monitor.classify.pipeline import make_pipeline
from monitor.config import load_config

STEP = 10_000


def rss_mb() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return 0


def main() -> None:
    data = need_shared()
    texts = [t for path in sorted((data / "tweeteval").rglob("*.tsv")) for _, t in read_tsv(path)]
    pipeline = make_pipeline(load_config())
    pipeline.classify(PostText("load the models"))
    loaded = rss_mb()
    rows = [{"posts": 0, "rss_mb": loaded}]
    for i, text in enumerate(texts, 1):
        pipeline.classify(PostText(text))
        if i % STEP == 0 or i == len(texts):
            rows.append({"posts": i, "rss_mb": rss_mb()})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"{len(texts):,} tweets, cache bound {CACHE_ENTRIES:,} entries")
    print(f"{'posts':>8}{'RSS MB':>9}{'growth':>9}")
    for r in rows:
        print(f"{r['posts']:>8,}{r['rss_mb']:>9}{r['rss_mb'] - loaded:>+9}")
    print(f"peak RSS {peak} MB; after loading {loaded} MB")
    path = write_result("bench_memory", {
        "texts": len(texts), "cache_entries": CACHE_ENTRIES, "after_load_mb": loaded,
        "steps": rows, "peak_rss_mb": peak,
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
