"""Shared bits of the benchmarks: where the data is, reading it, writing results."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SOCIAL_MONITOR_SHARED", REPO.parent / "shared")) / "data"
RESULTS = REPO / "benchmarks" / "results"


def need_shared() -> Path:
    if not SHARED_DATA.is_dir():
        sys.exit(f"needs ../shared/data beside the repo (looked in {SHARED_DATA})")
    return SHARED_DATA


def read_tsv(path: Path) -> list[tuple[int, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        label, _, text = line.partition("\t")
        rows.append((int(label), text))
    return rows


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **data}, indent=2))
    return path


def pin_one_core() -> None:
    """Measure per core: pin the process to one CPU where the OS allows it."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
