"""What the connectors that read an employee's own export files share."""

from __future__ import annotations

from collections.abc import Sequence

from connectors.base import FetchedPost, FetchResult


def recheck_in_export(
    posts: Sequence[FetchedPost], unreadable: int, native_ids: Sequence[str]
) -> FetchResult:
    """A re-check answered from the export as read now: posts still in it are edit
    candidates; posts no longer in it are ``missing`` (never ``deleted``: a file that
    changed is no proof), and nothing is missing while some of it could not be read."""
    by_id = {p.native_id: p for p in posts}
    return FetchResult(
        edited=[by_id[i] for i in native_ids if i in by_id],
        deleted=[],
        missing=[] if unreadable else [i for i in native_ids if i not in by_id],
        dropped=unreadable,
    )
