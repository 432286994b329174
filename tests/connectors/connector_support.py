"""Helpers for connector tests: a fixed clock and cassette replay (imported by the tests)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import vcr

NOW = datetime(2025, 1, 7, 12, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def replay(cassette: Path, *, match_query: bool = True, serializer: str = "yaml") -> Any:
    """Replay a recorded cassette; no request may leave the machine.

    ``match_query=False`` for the tweepy recordings: they were made without the
    ``tweet.fields``/``exclude`` parameters our connector sends, so only method, host and
    path are matched (the answers are real either way).
    """
    match_on = ["method", "scheme", "host", "port", "path"]
    if match_query:
        match_on.append("query")
    recorder = vcr.VCR(
        record_mode="none",
        decode_compressed_response=True,
        serializer=serializer,
        match_on=match_on,
    )
    return recorder.use_cassette(str(cassette))


def merged_json_cassette(sources: list[Path], target: Path) -> Path:
    """Join several recorded vcrpy JSON cassettes into one file in a temporary folder.

    praw's recordings each hold one listing; a connector poll reads two (submissions and
    comments). The interactions are copied unchanged; only the container is new.
    """
    interactions: list[Any] = []
    for source in sources:
        interactions += json.loads(source.read_text(encoding="utf-8"))["interactions"]
    target.write_text(json.dumps({"interactions": interactions, "version": 1}), encoding="utf-8")
    return target
