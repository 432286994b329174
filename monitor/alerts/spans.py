"""How a flagged post is shown, in every channel: one rule for marking and masking.

A post with several findings is one post: every finding's span is marked, and the span of a
finding whose category is in :data:`MASKED` (secrets, personal data) is replaced by the
detector's masked form wherever the post is shown (review page, immediate alert, digest).
An e-mail shows a window of context around the marks; the page shows the whole post.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

# Never repeated in full outside the post itself, even to its author: a mail can be
# forwarded, a page can be looked at over a shoulder.
MASKED = frozenset({"credentials", "personal_data"})


class Span(Protocol):
    """What a finding row needs to be shown (``storage.models.FindingRow`` has these)."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def category(self) -> str: ...
    @property
    def masked(self) -> str: ...


@dataclass(frozen=True)
class Segment:
    """A run of the post: plain text, or a marked finding (masked where the rule says)."""

    text: str
    marked: bool = False
    masked: bool = False


def shown_span(finding: Span, text: str) -> str:
    """The finding's own characters, or its masked form for a masked category."""
    if finding.category in MASKED:
        return finding.masked
    return text[finding.start : finding.end]


def segments(text: str | None, findings: Iterable[Span]) -> tuple[Segment, ...]:
    """``text`` cut into plain runs and marked findings, in order.

    Overlapping findings are merged into one mark (masked if any of them is masked, so a
    masked span is never shown through a neighbour). When the text is gone (purged by
    retention) or a span does not fit it, only the masked matches are left.
    """
    spans = sorted(findings, key=lambda f: (f.start, -f.end))
    if text is None or any(not 0 <= f.start <= f.end <= len(text) for f in spans):
        return tuple(Segment(f.masked, marked=True, masked=True) for f in spans)
    merged: list[tuple[int, int, list[Span]]] = []
    for f in spans:
        if merged and f.start < merged[-1][1]:
            start, end, group = merged[-1]
            merged[-1] = (start, max(end, f.end), [*group, f])
        else:
            merged.append((f.start, f.end, [f]))
    out: list[Segment] = []
    pos = 0
    for start, end, group in merged:
        if start > pos:
            out.append(Segment(text[pos:start]))
        masked = [f for f in group if f.category in MASKED]
        if masked:
            shown = " ".join(dict.fromkeys(f.masked for f in masked))
            out.append(Segment(shown, marked=True, masked=True))
        else:
            out.append(Segment(text[start:end], marked=True))
        pos = end
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return tuple(out)


def window(parts: Sequence[Segment], context: int) -> tuple[Segment, ...]:
    """The marks with at most ``context`` characters of plain text around each ("…" where
    text was left out), for an e-mail."""
    out: list[Segment] = []
    last = len(parts) - 1
    for i, seg in enumerate(parts):
        if seg.marked:
            out.append(seg)
            continue
        text = seg.text
        first, final = i == 0, i == last
        if first and len(text) > context:
            text = "…" + text[-context:]
        elif final and len(text) > context:
            text = text[:context] + "…"
        elif not first and not final and len(text) > 2 * context:
            text = text[:context] + " … " + text[-context:]
        out.append(Segment(text))
    return tuple(out)
