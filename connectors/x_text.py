"""A tweet's text as its author wrote it: HTML-unescaped once, t.co links replaced by the
addresses they hide (API and archive alike)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any


def tweet_links(
    entities: Any, short: str = "url", expanded: str = "expanded_url"
) -> list[tuple[str, str]]:
    """(t.co link, real address) pairs from an ``entities`` object; odd entries are ignored
    (the text is still read, only less expanded)."""
    urls = entities.get("urls") if isinstance(entities, dict) else None
    pairs: list[tuple[str, str]] = []
    for entry in urls if isinstance(urls, list) else ():
        if not isinstance(entry, dict):
            continue
        link, target = entry.get(short), entry.get(expanded)
        if isinstance(link, str) and link.startswith("http") and isinstance(target, str) and target:
            pairs.append((link, target))
    return pairs


def tweet_text(text: str, links: Sequence[tuple[str, str]] = ()) -> str:
    """The author's words as X shows them: ``text`` HTML-unescaped once, then each t.co link
    of ``links`` (``(t.co link, expanded address)``) replaced by the address it hides."""
    words = html.unescape(text)
    targets = dict(links)
    if not targets:
        return words
    # One pass, longest first, whole links only (t.co/abc never matches inside t.co/abcd).
    pattern = "|".join(re.escape(short) for short in sorted(targets, key=len, reverse=True))
    return re.sub(f"(?:{pattern})(?![A-Za-z0-9])", lambda m: targets[m.group(0)], words)


def _api_text(data: dict[str, Any]) -> str:
    """A v2 tweet's whole text: ``note_tweet`` for a long post, else ``text``."""
    note = data.get("note_tweet")
    if isinstance(note, dict) and isinstance(note.get("text"), str) and note["text"]:
        return tweet_text(note["text"], tweet_links(note.get("entities")))
    return tweet_text(str(data["text"]), tweet_links(data.get("entities")))


