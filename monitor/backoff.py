"""Retry policy as data plus one pure function."""

from __future__ import annotations

import random


def backoff(
    attempt: int,
    base: float,
    cap: float,
    jitter: float = 0.5,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before retry number ``attempt`` (1 = first retry).

    Exponential (``base * 2**(attempt-1)``), capped at ``cap``, then shortened by a random
    share up to ``jitter`` (0..1) so that many failed jobs do not retry in lockstep.
    """
    if attempt < 1:
        raise ValueError("attempt starts at 1")
    if not 0 <= jitter <= 1:
        raise ValueError("jitter is a share between 0 and 1")
    delay = min(cap, base * 2 ** min(attempt - 1, 62))
    r = (rng or random).random()
    return delay * (1 - jitter * r)
