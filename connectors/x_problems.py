"""What X says when it refuses: problem types, access tiers, the monthly usage cap, and
X's own words kept bounded (one line, no post text)."""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from connectors._http import (
    as_utc,
)

_NOT_FOUND = "resource-not-found"
_NOT_AUTHORIZED = "not-authorized-for-resource"
_USAGE_CAPPED = "usage-capped"  # type https://api.twitter.com/2/problems/usage-capped
_MAX_SAID = 200  # longest piece of X's own words kept in a message
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
TIER_NEEDED = (
    "Reading user timelines needs a developer App inside a Project with Basic access or "
    "higher (or pay-per-use credits); Free access reads too little, if anything"
)



def _problem_reason(errors: Sequence[dict[str, Any]]) -> str:
    """Why X refused an account, from the ``errors`` of a 200 answer."""
    if not isinstance(errors, list) or not all(isinstance(e, dict) for e in errors):
        raise TypeError("errors")  # BadPayload, inside _translated
    for error in errors:
        kind = str(error.get("type", ""))
        detail = str(error.get("detail", "")).lower()
        if kind.endswith("not-authorized-for-resource"):
            return "protected"
        if "suspended" in detail:
            return "suspended"
    return "not found"


def next_month_day(now: datetime, day: int) -> datetime:
    """00:00 UTC of the first day after ``now``'s date that is day ``day`` of its month (the
    last day of a shorter month: a cap resetting on the 31st resets on 28 February)."""
    year, month = now.year, now.month
    for _ in range(13):
        last = calendar.monthrange(year, month)[1]
        candidate = datetime(year, month, min(day, last), tzinfo=UTC)
        if candidate.date() > as_utc(now).date():
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise ValueError(day)  # not reached: every month has a day 1..28


def _problem(response: Any) -> dict[str, Any]:
    """The problem object (RFC 7807: ``type``, ``title``, ``detail``) of an error answer;
    empty when the body is not a JSON object."""
    try:
        body = response.json()
    except (ValueError, TypeError, AttributeError, RecursionError):
        return {}
    return body if isinstance(body, dict) else {}


def _is_usage_cap(problem: dict[str, Any]) -> bool:
    return str(problem.get("type", "")).endswith(_USAGE_CAPPED) or (
        problem.get("title") == "UsageCapExceeded"
    )


def _clip(value: Any) -> str:
    """One of X's own words, safe to show: a string, one line, printable, bounded."""
    if not isinstance(value, str):
        return ""
    text = " ".join(_UNPRINTABLE.sub(" ", value).split())
    return text if len(text) <= _MAX_SAID else text[: _MAX_SAID - 1] + "…"


def _said(problem: dict[str, Any]) -> str:
    """`` (X says: "title: detail")``, bounded, or nothing. X's problem objects name the
    app's limits, never a post's text."""
    words = ": ".join(w for w in (_clip(problem.get("title")), _clip(problem.get("detail"))) if w)
    if len(words) > _MAX_SAID:
        words = words[: _MAX_SAID - 1] + "…"
    return f' (X says: "{words}")' if words else ""


def _forbidden_message(problem: dict[str, Any], what: str) -> str:
    """A 403: the app's access level does not include this endpoint (``client-not-enrolled``)
    or another refusal; X's reason is kept, bounded."""
    said = _said(problem)
    if problem.get("reason") == "client-not-enrolled" or str(problem.get("type", "")).endswith(
        "client-forbidden"
    ):
        needed = _clip(problem.get("required_enrollment"))
        asks = f"; X asks for: {needed}" if needed else ""
        return (
            f"x: {what}: this app's X API access level does not include this endpoint "
            f"(HTTP 403 {_clip(problem.get('reason')) or 'client-forbidden'}){said}"
            f"{asks}. {TIER_NEEDED}"
        )
    return f"x: {what}: the app may not use this endpoint (HTTP 403){said}"


def _error_verdicts(errors: Any) -> dict[str, str]:
    """Per-tweet ``errors`` of a lookup: id -> ``resource-not-found`` / ``not-authorized-...``
    / ``other``."""
    verdicts: dict[str, str] = {}
    if not isinstance(errors, list) or not all(isinstance(e, dict) for e in errors):
        raise TypeError("errors")  # BadPayload, inside _translated
    for error in errors:
        tweet_id = str(error.get("resource_id") or error.get("value") or "")
        kind = str(error.get("type", ""))
        if kind.endswith(_NOT_FOUND):
            verdicts[tweet_id] = _NOT_FOUND
        elif kind.endswith(_NOT_AUTHORIZED):
            verdicts[tweet_id] = _NOT_AUTHORIZED
        else:
            verdicts.setdefault(tweet_id, "other")
    return verdicts


