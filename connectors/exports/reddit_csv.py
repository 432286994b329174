"""A Reddit data export's ``posts.csv`` and ``comments.csv``."""

from __future__ import annotations

import csv
from pathlib import Path

from connectors.base import (
    FetchedPost,
)
from connectors.exports.common import (
    _PRIVATE_COLUMNS,
    BadExportFile,
    ExportRead,
    PrivateExportFile,
    _checked_id,
    _parse_time,
)

_REDDIT_DELETED = frozenset({"[deleted]", "[removed]"})


def _read_reddit_csv(path: Path, name: str, out: ExportRead) -> None:
    # utf-8-sig: Reddit's export (and a spreadsheet saving it again) may start with a BOM,
    # which would otherwise stick to the first column's name.
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = {f.strip().lower() for f in reader.fieldnames or ()}
        if not fields:
            return
        if fields & _PRIVATE_COLUMNS:
            raise PrivateExportFile(
                f"{name} is private: it has message columns "
                f"({', '.join(sorted(fields & _PRIVATE_COLUMNS))}); it is never read"
            )
        if "id" not in fields or not fields & {"body", "title"}:
            raise BadExportFile(
                f"{name}: expected a Reddit export with columns id and body or title"
            )
        try:
            for lineno, row in enumerate(reader, 2):
                where = f"{name} line {lineno}"
                out.keep(where, lambda: _csv_post(row, where))  # noqa: B023 (called at once)
        except csv.Error as exc:
            raise BadExportFile(f"{name} line {reader.line_num}: unreadable CSV") from exc


def _csv_post(row: dict[str, str | None], where: str) -> FetchedPost | None:
    """One row of a Reddit export; None for a ``[deleted]``/``[removed]`` one."""
    body, title = (row.get("body") or "").strip(), (row.get("title") or "").strip()
    if body in _REDDIT_DELETED or (title in _REDDIT_DELETED and not body):
        return None
    text = "\n\n".join(v for v in (row.get("title"), row.get("body")) if isinstance(v, str) and v)
    permalink = row.get("permalink") or ""
    return FetchedPost(
        native_id=_checked_id(row.get("id") or "", where),
        text=text,
        created_at=_parse_time(str(row.get("date") or "0"), where),
        url=permalink if isinstance(permalink, str) and permalink.startswith("http") else "",
    )


