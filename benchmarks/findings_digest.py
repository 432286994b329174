"""A fingerprint of every finding the whole pipeline gives on a fixed corpus.

Speed work must not change what is found. Run this before and after a change (or on two
checkouts: ``PYTHONPATH=OTHER_CHECKOUT python benchmarks/findings_digest.py``) and compare
the digests; ``--dump FILE`` writes the findings as JSON lines to diff when they differ.

Corpus: the bench_pipeline texts, every tweeteval hate and offensive tweet (train, val,
test), the shared credential lines and the repo's own leak prose set (all splits): about
45,000 texts, with posts that hit every detector and many that hit none.

Run: `python benchmarks/findings_digest.py [--dump FILE]` from the repo root.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

from _common import REPO, need_shared, read_jsonl, read_tsv

from classifiers.base import PostText
from monitor.classify.pipeline import make_pipeline
from monitor.config import load_config


def corpus() -> list[str]:
    data = need_shared()
    out: list[str] = []
    for task in ("offensive", "hate"):
        for split in ("test", "val", "train"):
            out += [t for _, t in read_tsv(data / "tweeteval" / task / f"{split}.tsv")]
    out += [r["text"] for r in read_jsonl(data / "pii_presidio_synth_v2/samples.jsonl")]
    out += [r["text"] for r in read_jsonl(data / "secrets_credsweeper_samples/lines.jsonl")]
    for split in ("train", "dev", "test"):
        out += [r["text"] for r in read_jsonl(REPO / f"datasets/leak_prose/data/{split}.jsonl")]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--dump", type=Path, help="also write the findings as JSON lines")
    args = parser.parse_args()
    pipeline = make_pipeline(load_config())
    digest = hashlib.sha256()
    kinds: Counter[str] = Counter()
    dump = args.dump.open("w", encoding="utf-8") if args.dump else None
    texts = corpus()
    for i, text in enumerate(texts):
        result = pipeline.classify(PostText(text))
        rows = [dataclasses.astuple(f) for f in result.findings]
        line = json.dumps([i, result.language, result.wording_assessed, rows], sort_keys=True)
        digest.update(line.encode())
        kinds.update(f"{f.detector}/{f.kind}" for f in result.findings)
        if dump:
            dump.write(line + "\n")
    if dump:
        dump.close()
    print(f"{len(texts)} texts, {sum(kinds.values())} findings")
    for kind, n in sorted(kinds.items()):
        print(f"  {kind:<44}{n:>7}")
    print(f"sha256 {digest.hexdigest()}")


if __name__ == "__main__":
    sys.exit(main())
