"""Driver for count_instructions.sh: one part of the pipeline over a sample of the bench
texts, run twice (the first run warms the caches), the second between two marker files so
that callgrind counts only that run. Not a benchmark on its own; see count_instructions.sh.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench_pipeline import texts

from classifiers.base import PostText
from monitor.classify.pipeline import make_pipeline
from monitor.config import load_config


def wait_for(path: Path) -> None:
    while not path.exists():
        time.sleep(0.05)


def main() -> None:
    target, n, marks = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    every = texts()
    raw = every[:: max(1, len(every) // n)][:n]  # spread over both data sets
    posts = [PostText(t) for t in raw]
    pipeline = make_pipeline(load_config())
    detectors = {d.name: d for d in pipeline.detectors}
    run: Callable[[], object]
    if target == "whole":
        run = lambda: [pipeline.classify(p) for p in posts]  # noqa: E731
    elif target == "language" and pipeline.detect_language is not None:
        detect = pipeline.detect_language
        run = lambda: [detect(t) for t in raw]  # noqa: E731
    elif target in detectors:
        det = detectors[target]
        run = lambda: [det.detect(p) for p in posts]  # noqa: E731
    else:
        sys.exit(f"target must be whole, language or one of {', '.join(detectors)}")
    run()
    (marks / "ready").touch()
    wait_for(marks / "go")
    run()
    (marks / "done").touch()
    wait_for(marks / "stop")


if __name__ == "__main__":
    main()
