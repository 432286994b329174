"""The retry policy is a pure function: exponential, capped, jittered."""

from __future__ import annotations

import random

import pytest

from monitor.backoff import backoff


@pytest.mark.parametrize(
    ("attempt", "base", "cap", "expected"),
    [(1, 30, 3600, 30), (2, 30, 3600, 60), (5, 30, 3600, 480), (8, 30, 3600, 3600),
     (200, 30, 3600, 3600)],
)
def test_without_jitter_it_doubles_up_to_the_cap(attempt: int, base: float, cap: float,
                                                 expected: float) -> None:
    assert backoff(attempt, base, cap, jitter=0) == expected


def test_jitter_stays_within_its_share_and_varies() -> None:
    rng = random.Random(7)
    delays = [backoff(3, 30, 3600, jitter=0.5, rng=rng) for _ in range(200)]
    assert all(60 <= d <= 120 for d in delays)
    assert len({round(d, 3) for d in delays}) > 100


@pytest.mark.parametrize(("attempt", "jitter"), [(0, 0.5), (1, 1.5), (1, -0.1)])
def test_bad_arguments_are_refused(attempt: int, jitter: float) -> None:
    with pytest.raises(ValueError):
        backoff(attempt, 1, 10, jitter=jitter)
